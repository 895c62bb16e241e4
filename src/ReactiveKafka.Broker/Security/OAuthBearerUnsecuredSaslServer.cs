using System.Text;
using System.Text.Json;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// OAUTHBEARER (RFC 7628) with Kafka's unsecured-token validation (OAuthBearerUnsecuredValidatorCallbackHandler): the
/// token is an unsigned JWS (<c>{"alg":"none"}</c>), its <c>sub</c> claim is the principal, <c>exp</c> is required and
/// must lie ahead, <c>iat</c> (if present) must not lie ahead, and the required scopes must be in <c>scope</c>. For
/// development only: anyone can write such a token. A bad token is answered as Kafka does: the JSON error as a
/// challenge, and after the client's <c>%x01</c> the failure with that JSON as its message.
/// </summary>
internal sealed class OAuthBearerUnsecuredSaslServer(BrokerSaslOptions options, TimeProvider time) : ISaslServer
{
    private string? _error;

    /// <inheritdoc />
    public string Mechanism => BrokerSaslOptions.OAuthBearer;

    /// <inheritdoc />
    public bool IsComplete { get; private set; }

    /// <inheritdoc />
    public string? AuthorizationId { get; private set; }

    /// <inheritdoc />
    public DateTimeOffset? CredentialExpiresAt { get; private set; }

    /// <inheritdoc />
    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        if (response.Length == 1 && response[0] == 0x01 && _error is not null)
        {
            throw new SaslAuthenticationException(_error, "OAUTHBEARER token rejected: " + _error);
        }

        _error = null;
        var message = Encoding.UTF8.GetString(response);

        // "n,[a=authzid]," then "\x01auth=Bearer <token>\x01[key=value\x01]*\x01".
        var parts = message.Split('\u0001');
        var header = parts[0];
        if (!header.StartsWith("n,", StringComparison.Ordinal) || parts.Length < 3)
        {
            throw Invalid("Invalid OAUTHBEARER client first message");
        }

        var authorizationId = header.Length > 3 && header[2..].StartsWith("a=", StringComparison.Ordinal) ? header[4..].TrimEnd(',') : null;
        var auth = parts.Skip(1).FirstOrDefault(p => p.StartsWith("auth=", StringComparison.Ordinal));
        const string Bearer = "auth=Bearer ";
        if (auth is null || !auth.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("Invalid OAUTHBEARER client first message: no auth=Bearer token");
        }

        var token = auth[Bearer.Length..].Trim();
        if (Validate(token) is { } problem)
        {
            // The challenge; the client acknowledges it with %x01 and then the exchange fails with it.
            _error = $"{{\"status\":\"{problem.Status}\"}}";
            return Encoding.UTF8.GetBytes(_error);
        }

        if (authorizationId is { Length: > 0 } && authorizationId != AuthorizationId)
        {
            var different = $"Authentication failed: Client requested an authorization id ({authorizationId}) that is different from the token's principal name ({AuthorizationId})";
            AuthorizationId = null;
            throw new SaslAuthenticationException(different, different);
        }

        IsComplete = true;
        return [];
    }

    private (string Status, string Reason)? Validate(string token)
    {
        var segments = token.Split('.');
        if (segments.Length != 3 || segments[2].Length != 0)
        {
            return ("invalid_token", "not an unsecured JWS (three dot-separated parts, the last empty)");
        }

        JsonElement claims;
        try
        {
            using var headerJson = JsonDocument.Parse(Base64Url(segments[0]));
            if (!headerJson.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "none")
            {
                return ("invalid_token", "the JOSE header's alg is not \"none\"");
            }

            using var payload = JsonDocument.Parse(Base64Url(segments[1]));
            claims = payload.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return ("invalid_token", "the token is not base64url-encoded JSON: " + ex.Message);
        }

        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sub.GetString()))
        {
            return ("invalid_token", "no sub claim");
        }

        if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number)
        {
            return ("invalid_token", "no numeric exp claim");
        }

        var now = time.GetUtcNow();
        var skew = options.OAuthBearerAllowableClockSkew;
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(exp.GetDouble() * 1000));
        if (now >= expiresAt + skew)
        {
            return ("invalid_token", $"the token expired at {expiresAt:O}");
        }

        if (claims.TryGetProperty("iat", out var iat))
        {
            if (iat.ValueKind != JsonValueKind.Number)
            {
                return ("invalid_token", "the iat claim is not a number");
            }

            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(iat.GetDouble() * 1000));
            if (issuedAt > now + skew)
            {
                return ("invalid_token", $"the token is issued in the future ({issuedAt:O})");
            }

            if (expiresAt <= issuedAt)
            {
                return ("invalid_token", "the token expires before it is issued");
            }
        }

        if (options.OAuthBearerRequiredScopes is { Count: > 0 } required)
        {
            var scopes = claims.TryGetProperty("scope", out var scope)
                ? scope.ValueKind == JsonValueKind.Array
                    ? scope.EnumerateArray().Select(s => s.GetString() ?? "").ToHashSet()
                    : (scope.GetString() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet()
                : [];
            if (required.FirstOrDefault(r => !scopes.Contains(r)) is { } missing)
            {
                return ("insufficient_scope", $"the token lacks the required scope '{missing}'");
            }
        }

        AuthorizationId = sub.GetString();
        CredentialExpiresAt = expiresAt;
        return null;
    }

    private static byte[] Base64Url(string segment)
    {
        var text = segment.Replace('-', '+').Replace('_', '/');
        text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        return Convert.FromBase64String(text);
    }

    private static SaslAuthenticationException Invalid(string reason) => new(reason, reason);
}
