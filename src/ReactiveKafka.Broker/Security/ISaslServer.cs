namespace ReactiveKafka.Broker.Security;

/// <summary>
/// The server side of one SASL exchange on one connection (Java's <c>SaslServer</c>): each client token in, a
/// challenge (or the final server message) out, until <see cref="IsComplete"/>.
/// </summary>
internal interface ISaslServer
{
    /// <summary>The mechanism's name.</summary>
    string Mechanism { get; }

    /// <summary>Whether the client is authenticated.</summary>
    bool IsComplete { get; }

    /// <summary>The authenticated user name once complete.</summary>
    string? AuthorizationId { get; }

    /// <summary>When the credential stops being valid (an OAUTHBEARER token's <c>exp</c>), or null.</summary>
    DateTimeOffset? CredentialExpiresAt { get; }

    /// <summary>Takes the client's next token and returns the answer (empty when there is nothing to say).</summary>
    /// <exception cref="SaslAuthenticationException">The client failed to authenticate.</exception>
    byte[] EvaluateResponse(ReadOnlySpan<byte> response);
}

/// <summary>A failed login, with what the client may be told and what only the log should say.</summary>
/// <param name="clientMessage">
/// The message for the client, or null for Kafka's generic "Authentication failed during authentication due to invalid
/// credentials with SASL mechanism M" (which does not tell whether the user exists).
/// </param>
/// <param name="reason">The reason, for the broker's log.</param>
internal sealed class SaslAuthenticationException(string? clientMessage, string reason) : Exception(reason)
{
    /// <summary>What the client is told; null for the generic message.</summary>
    public string? ClientMessage { get; } = clientMessage;
}
