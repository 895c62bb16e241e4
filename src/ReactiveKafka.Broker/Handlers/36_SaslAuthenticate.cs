using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>SaslAuthenticate (key 36): no SASL on a PLAINTEXT listener; always ILLEGAL_SASL_STATE.</summary>
internal sealed class SaslAuthenticateHandler() : RequestHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>(minVersion: 0, maxVersion: 2)
{
    /// <inheritdoc />
    protected override ValueTask<SaslAuthenticateResponse?> HandleAsync(RequestContext context, SaslAuthenticateRequest request) =>
        new(new SaslAuthenticateResponse
        {
            ErrorCode = (short)ErrorCode.IllegalSaslState,
            ErrorMessage = "The bundled broker does not authenticate: connect with security.protocol=PLAINTEXT.",
        });
}
