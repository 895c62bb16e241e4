using System.Text;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// SASL/PLAIN (RFC 4616): one message, <c>[authzid] NUL authcid NUL password</c>, checked against the user's stored
/// SCRAM credential (passwords are never stored). Kafka's PlainSaslServer's messages.
/// </summary>
internal sealed class PlainSaslServer(ScramCredentialStore credentials) : ISaslServer
{
    /// <inheritdoc />
    public string Mechanism => BrokerSaslOptions.Plain;

    /// <inheritdoc />
    public bool IsComplete { get; private set; }

    /// <inheritdoc />
    public string? AuthorizationId { get; private set; }

    /// <inheritdoc />
    public DateTimeOffset? CredentialExpiresAt => null;

    /// <inheritdoc />
    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        var tokens = Encoding.UTF8.GetString(response).Split('\0');
        if (tokens.Length != 3)
        {
            throw Fail($"Invalid SASL/PLAIN response: expected 3 tokens, got {tokens.Length}");
        }

        var (authorizationId, user, password) = (tokens[0], tokens[1], tokens[2]);
        if (user.Length == 0)
        {
            throw Fail("Authentication failed: username not specified");
        }

        if (password.Length == 0)
        {
            throw Fail("Authentication failed: password not specified");
        }

        // Either stored mechanism verifies the password: both were made from it.
        var credential = credentials.Find(user, ScramMechanism.Sha512) ?? credentials.Find(user, ScramMechanism.Sha256);
        if (credential is null || !credential.Mechanism.Verifies(credential, password))
        {
            throw new SaslAuthenticationException("Authentication failed: Invalid username or password",
                credential is null ? $"Authentication failed: unknown user '{user}'" : $"Authentication failed: wrong password for user '{user}'");
        }

        if (authorizationId.Length > 0 && authorizationId != user)
        {
            throw Fail("Authentication failed: Client requested an authorization id that is different from username");
        }

        AuthorizationId = user;
        IsComplete = true;
        return [];
    }

    private static SaslAuthenticationException Fail(string message) => new(message, message);
}
