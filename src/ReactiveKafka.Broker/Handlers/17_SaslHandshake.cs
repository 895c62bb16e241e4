using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// SaslHandshake (key 17): the bundled broker listens in PLAINTEXT only, so every
/// mechanism is answered with UNSUPPORTED_SASL_MECHANISM and an empty list of enabled mechanisms.
/// </summary>
internal sealed class SaslHandshakeHandler() : RequestHandler<SaslHandshakeRequest, SaslHandshakeResponse>(minVersion: 0, maxVersion: 1)
{
    /// <inheritdoc />
    protected override ValueTask<SaslHandshakeResponse?> HandleAsync(RequestContext context, SaslHandshakeRequest request) =>
        new(new SaslHandshakeResponse { ErrorCode = (short)ErrorCode.UnsupportedSaslMechanism });
}
