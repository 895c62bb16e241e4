using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// Who is on one connection and how far its SASL exchange has got, after Kafka's SaslServerAuthenticator: on a SASL
/// listener only ApiVersions and SaslHandshake are served until SaslAuthenticate (or, after a v0 handshake, raw SASL
/// tokens) completes the login; a failed login is answered and the connection closed; an authenticated session lasts
/// its lifetime (KIP-368) and is renewed by a new handshake on the same connection. Used by the connection's read loop
/// and the two SASL handlers, which run one at a time.
/// </summary>
internal sealed class ConnectionSession
{
    private readonly BrokerSecurity _security;
    private readonly string _clientHost;
    private readonly long _connectionId;
    private State _state;
    private ISaslServer? _server;
    private string? _mechanism;
    private long? _expiresAt;
    private bool _reauthenticating;
    private bool _clientSupportsReauthentication;

    /// <summary>A session of a new connection on <paramref name="listener"/>.</summary>
    public ConnectionSession(ListenerEndpoint listener, BrokerSecurity security, string clientHost, long connectionId)
    {
        Listener = listener;
        _security = security;
        _clientHost = clientHost;
        _connectionId = connectionId;
        _state = listener.UsesSasl ? State.Handshake : State.Complete;
    }

    private enum State
    {
        Handshake,
        Authenticate,
        AuthenticateRaw,
        Complete,
    }

    /// <summary>The listener the connection came in on.</summary>
    public ListenerEndpoint Listener { get; }

    /// <summary>The connection's principal (<c>User:name</c>); <c>User:ANONYMOUS</c> until authenticated, or without SASL and client certificates.</summary>
    public string Principal { get; set; } = CertificatePrincipal.Anonymous;

    /// <summary>Whether the next frame is a raw SASL token (after a v0 handshake) rather than a Kafka request.</summary>
    public bool ExpectsRawToken => _state == State.AuthenticateRaw;

    /// <summary>The largest frame accepted now: Kafka's pre-authentication limit until a SASL login completes.</summary>
    public int MaxFrameSize(int maxRequestSize) =>
        _state == State.Complete && !_reauthenticating ? maxRequestSize : Math.Min(maxRequestSize, _security.Sasl.MaxReceiveSize);

    /// <summary>
    /// Whether a request of <paramref name="apiKey"/> may be served now; null if so, else why the connection is closed
    /// (Kafka closes it: "Unexpected Kafka request of type X during SASL handshake.", or an expired session).
    /// </summary>
    public string? Refuse(ApiKey apiKey)
    {
        switch (_state)
        {
            case State.Handshake when apiKey is ApiKey.ApiVersions or ApiKey.SaslHandshake:
                return null;
            case State.Handshake:
                return $"Unexpected Kafka request of type {apiKey} during SASL handshake.";
            case State.Authenticate when apiKey == ApiKey.SaslAuthenticate:
                return null;
            case State.Authenticate:
                return $"Unexpected Kafka request of type {apiKey} during SASL authentication.";
            default:
                if (_expiresAt is { } expiresAt && apiKey != ApiKey.SaslHandshake && _security.Time.GetTimestamp() >= expiresAt)
                {
                    _security.Logger.LogInformation("Closing connection {Id} from {Host} ({Principal}, listener {Listener}): its SASL session expired and the client did not re-authenticate",
                        _connectionId, _clientHost, Principal, Listener.Name);
                    return $"the SASL session of {Principal} expired (re-authentication is required, KIP-368)";
                }

                return null;
        }
    }

    /// <summary>Serves SaslHandshake: picks the mechanism (or re-authenticates an authenticated session).</summary>
    /// <returns>The error code and the enabled mechanisms; on an error the connection closes after the response.</returns>
    public (ErrorCode Error, IReadOnlyList<string> Mechanisms) Handshake(string mechanism, short version, RequestContext context)
    {
        var enabled = _security.Sasl.Mechanisms;
        if (!Listener.UsesSasl)
        {
            // No SASL on this listener: the client's security.protocol does not match the listener's.
            return (ErrorCode.UnsupportedSaslMechanism, []);
        }

        var reauthenticating = _state == State.Complete;
        if (!_security.IsEnabled(mechanism) || (reauthenticating && mechanism != _mechanism))
        {
            LogFailure(reauthenticating ? $"re-authentication asked for mechanism '{mechanism}' instead of {_mechanism}" : $"Unsupported SASL mechanism {mechanism}");
            context.CloseAfterResponse = true;
            return (ErrorCode.UnsupportedSaslMechanism, enabled);
        }

        if (reauthenticating && version == 0)
        {
            context.CloseAfterResponse = true;
            return (ErrorCode.IllegalSaslState, enabled);
        }

        _reauthenticating = reauthenticating;
        _mechanism = mechanism;
        _server = _security.CreateServer(mechanism);
        _state = version >= 1 ? State.Authenticate : State.AuthenticateRaw;
        return (ErrorCode.None, enabled);
    }

    /// <summary>Serves SaslAuthenticate: one client token in, the server's token out, and on completion the session lifetime in ms.</summary>
    public (ErrorCode Error, string? Message, byte[] Token, long SessionLifetimeMs) Authenticate(ReadOnlySpan<byte> token, short version, RequestContext context)
    {
        if (_state != State.Authenticate || _server is null)
        {
            context.CloseAfterResponse = true;
            return (ErrorCode.IllegalSaslState, "SaslAuthenticate before a SaslHandshake picked a mechanism.", [], 0);
        }

        _clientSupportsReauthentication |= version > 0;
        try
        {
            var answer = _server.EvaluateResponse(token);
            return (ErrorCode.None, null, answer, _server.IsComplete ? Complete() : 0);
        }
        catch (SaslAuthenticationException ex)
        {
            LogFailure(ex.Message);
            context.CloseAfterResponse = true;
            return (ErrorCode.SaslAuthenticationFailed, ex.ClientMessage ?? GenericFailure(), [], 0);
        }
    }

    /// <summary>Serves one raw SASL token (after a v0 handshake); a failure closes the connection without an answer, as Kafka.</summary>
    /// <exception cref="SaslAuthenticationException">The login failed.</exception>
    public byte[] AuthenticateRaw(ReadOnlySpan<byte> token)
    {
        try
        {
            var answer = _server!.EvaluateResponse(token);
            if (_server.IsComplete)
            {
                Complete();
            }

            return answer;
        }
        catch (SaslAuthenticationException ex)
        {
            LogFailure(ex.Message);
            throw;
        }
    }

    private long Complete()
    {
        var principal = "User:" + _server!.AuthorizationId;
        if (_reauthenticating && principal != Principal)
        {
            var message = $"Cannot change principals during re-authentication from {Principal} to {principal}";
            throw new SaslAuthenticationException(message, message);
        }

        Principal = principal;
        _state = State.Complete;
        _reauthenticating = false;

        // Kafka's session lifetime: the smaller of connections.max.reauth.ms and the credential's remaining life.
        long? lifetimeMs = _security.Sasl.ConnectionsMaxReauth is { } max ? (long)max.TotalMilliseconds : null;
        if (_server.CredentialExpiresAt is { } expires)
        {
            var remaining = Math.Max(0, (long)(expires - _security.Time.GetUtcNow()).TotalMilliseconds);
            lifetimeMs = lifetimeMs is { } l ? Math.Min(l, remaining) : remaining;
        }

        _expiresAt = lifetimeMs is { } ms ? _security.Time.GetTimestamp() + (long)(ms / 1000.0 * _security.Time.TimestampFrequency) : null;
        _security.Logger.LogDebug("Connection {Id} from {Host} authenticated as {Principal} with {Mechanism} on listener {Listener}; session lifetime {Lifetime} ms",
            _connectionId, _clientHost, Principal, _mechanism, Listener.Name, lifetimeMs);

        // A client that never said it can re-authenticate (SaslAuthenticate v0, raw tokens) is told 0: no lifetime.
        return _clientSupportsReauthentication ? lifetimeMs ?? 0 : 0;
    }

    private string GenericFailure() =>
        $"Authentication failed during {(_reauthenticating ? "re-authentication" : "authentication")} due to invalid credentials with SASL mechanism {_mechanism}";

    // Kafka logs each failed login at INFO: "Failed authentication with /127.0.0.1 (channelId=...) (reason)".
    private void LogFailure(string reason) =>
        _security.Logger.LogWarning("Failed authentication with {Host} (connection {Id}, listener {Listener}, mechanism {Mechanism}): {Reason}",
            _clientHost, _connectionId, Listener.Name, _mechanism ?? "none", reason);
}
