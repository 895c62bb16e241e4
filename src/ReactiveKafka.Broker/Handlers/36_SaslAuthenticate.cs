using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// SaslAuthenticate (key 36): one SASL token of the exchange the handshake started. On success the last answer carries
/// the session lifetime (v1+, KIP-368); a failed login gets SASL_AUTHENTICATION_FAILED with Kafka's message and the
/// connection closes. On a listener without SASL: ILLEGAL_SASL_STATE.
/// </summary>
internal sealed class SaslAuthenticateHandler() : RequestHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>(minVersion: 0, maxVersion: 2)
{
    /// <inheritdoc />
    protected override ValueTask<SaslAuthenticateResponse?> HandleAsync(RequestContext context, SaslAuthenticateRequest request)
    {
        if (!context.Listener.UsesSasl)
        {
            return new(new SaslAuthenticateResponse
            {
                ErrorCode = (short)ErrorCode.IllegalSaslState,
                ErrorMessage = $"Listener {context.Listener.Name} does not authenticate: connect with security.protocol={context.Listener.SecurityProtocol.KafkaName()}.",
            });
        }

        var (error, message, token, lifetimeMs) = context.Session.Authenticate(request.AuthBytes.Span, context.ApiVersion, context);
        return new(new SaslAuthenticateResponse
        {
            ErrorCode = (short)error,
            ErrorMessage = message,
            AuthBytes = token,
            SessionLifetimeMs = lifetimeMs,
        });
    }
}
