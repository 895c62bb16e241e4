using System.Security.Cryptography;
using System.Text;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// SCRAM-SHA-256/512 (RFC 5802, RFC 7677) against the stored credentials: client-first → server-first (nonce, salt,
/// iterations) → client-final (proof) → server-final (signature). As Kafka's ScramSaslServer: only the <c>n</c> GS2
/// flag (no channel binding), unknown extensions ignored, an unknown user or wrong proof answered with the generic message.
/// </summary>
internal sealed class ScramSaslServer(ScramMechanism mechanism, ScramCredentialStore credentials) : ISaslServer
{
    private string? _clientFirstBare;
    private string? _gs2Header;
    private string? _serverFirst;
    private string? _nonce;
    private ScramCredential? _credential;
    private string? _user;

    /// <inheritdoc />
    public string Mechanism => mechanism.Name;

    /// <inheritdoc />
    public bool IsComplete { get; private set; }

    /// <inheritdoc />
    public string? AuthorizationId => IsComplete ? _user : null;

    /// <inheritdoc />
    public DateTimeOffset? CredentialExpiresAt => null;

    /// <inheritdoc />
    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        var message = Encoding.UTF8.GetString(response);
        return _serverFirst is null ? ClientFirst(message) : ClientFinal(message);
    }

    private byte[] ClientFirst(string message)
    {
        // gs2-header "n,[a=authzid]," then the bare message "n=saslname,r=nonce[,extensions]".
        if (!message.StartsWith("n,", StringComparison.Ordinal))
        {
            throw Invalid($"Invalid SCRAM client first message (channel binding is not supported): '{Shorten(message)}'");
        }

        var second = message.IndexOf(',', 2);
        if (second < 0)
        {
            throw Invalid("Invalid SCRAM client first message: no GS2 header");
        }

        _gs2Header = message[..(second + 1)];
        var authorizationId = _gs2Header.Length > 3 && _gs2Header[2..].StartsWith("a=", StringComparison.Ordinal) ? Unescape(_gs2Header[4..^1]) : null;
        _clientFirstBare = message[(second + 1)..];
        var attributes = Attributes(_clientFirstBare);
        if (!attributes.TryGetValue("n", out var saslName) || !attributes.TryGetValue("r", out var clientNonce) || clientNonce.Length == 0)
        {
            throw Invalid("Invalid SCRAM client first message: no user name or nonce");
        }

        _user = Unescape(saslName);
        _credential = credentials.Find(_user, mechanism);
        if (_credential is null)
        {
            throw new SaslAuthenticationException(null, $"Authentication failed: Invalid user credentials (no {mechanism.Name} credential for user '{_user}')");
        }

        if (authorizationId is not null && authorizationId.Length > 0 && authorizationId != _user)
        {
            const string Different = "Authentication failed: Client requested an authorization id that is different from username";
            throw new SaslAuthenticationException(Different, Different);
        }

        _nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_credential.Salt)},i={_credential.Iterations}";
        return Encoding.UTF8.GetBytes(_serverFirst);
    }

    private byte[] ClientFinal(string message)
    {
        if (IsComplete)
        {
            throw Invalid("Unexpected SCRAM message after the exchange completed");
        }

        var proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
        {
            throw Invalid("Authentication failed: Invalid client final message (no proof)");
        }

        var withoutProof = message[..proofAt];
        var attributes = Attributes(withoutProof);
        // As Kafka: the nonce must end with the server's. librdkafka before 2.1 sends its own nonce again in front of it
        // (the combined nonce is already client + server), which Kafka accepts.
        if (!attributes.TryGetValue("r", out var nonce) || !nonce.EndsWith(_nonce!, StringComparison.Ordinal))
        {
            throw Invalid("Invalid client nonce in the final client message.");
        }

        if (!attributes.TryGetValue("c", out var binding) || binding != Convert.ToBase64String(Encoding.UTF8.GetBytes(_gs2Header!)))
        {
            throw Invalid("Authentication failed: Invalid client final message (channel binding does not match the GS2 header)");
        }

        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(message[(proofAt + 3)..]);
        }
        catch (FormatException)
        {
            throw Invalid("Authentication failed: Invalid client final message (the proof is not base64)");
        }

        var credential = _credential!;
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        var clientSignature = mechanism.Hmac(credential.StoredKey, authMessage);
        if (proof.Length != clientSignature.Length)
        {
            throw new SaslAuthenticationException(null, "Authentication failed: Invalid client credentials (proof of the wrong length)");
        }

        var clientKey = new byte[proof.Length];
        for (var i = 0; i < proof.Length; i++)
        {
            clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        }

        if (!CryptographicOperations.FixedTimeEquals(mechanism.H(clientKey), credential.StoredKey))
        {
            throw new SaslAuthenticationException(null, $"Authentication failed: Invalid client credentials (wrong password for user '{_user}')");
        }

        IsComplete = true;
        return Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(mechanism.Hmac(credential.ServerKey, authMessage)));
    }

    private static Dictionary<string, string> Attributes(string message)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in message.Split(','))
        {
            var equals = part.IndexOf('=');
            if (equals > 0)
            {
                attributes.TryAdd(part[..equals], part[(equals + 1)..]);
            }
        }

        return attributes;
    }

    // saslname: "=2C" is ',' and "=3D" is '='.
    private static string Unescape(string saslName) => saslName.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);

    private static string Shorten(string message) => message.Length <= 40 ? message : message[..40] + "...";

    private static SaslAuthenticationException Invalid(string reason) => new(null, reason);
}
