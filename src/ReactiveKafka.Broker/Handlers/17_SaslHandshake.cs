using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// SaslHandshake (key 17): on a SASL listener, picks the client's mechanism among the enabled ones (v1: SaslAuthenticate
/// requests follow; v0: raw SASL tokens), or starts a re-authentication of an authenticated session (KIP-368). An
/// unknown mechanism is answered with UNSUPPORTED_SASL_MECHANISM and the enabled list, then the connection closes, as
/// Kafka. On a listener without SASL every mechanism is unsupported and the list is empty.
/// </summary>
internal sealed class SaslHandshakeHandler() : RequestHandler<SaslHandshakeRequest, SaslHandshakeResponse>(minVersion: 0, maxVersion: 1)
{
    /// <inheritdoc />
    protected override ValueTask<SaslHandshakeResponse?> HandleAsync(RequestContext context, SaslHandshakeRequest request)
    {
        var (error, mechanisms) = context.Session.Handshake(request.Mechanism, context.ApiVersion, context);
        return new(new SaslHandshakeResponse { ErrorCode = (short)error, Mechanisms = [.. mechanisms] });
    }
}
