namespace ReactiveKafka.Broker;

/// <summary>
/// SASL for the <see cref="BrokerSecurityProtocol.SaslPlaintext"/> and <see cref="BrokerSecurityProtocol.SaslSsl"/>
/// listeners: the enabled mechanisms, the users, and Kafka's session limits. Passwords are never stored: at start each
/// user's SCRAM credentials (salted, iterated) are written to the data directory, and PLAIN logins are checked against
/// them too. More users come and go through AlterUserScramCredentials.
/// </summary>
public sealed record BrokerSaslOptions
{
    /// <summary>SASL/PLAIN (RFC 4616).</summary>
    public const string Plain = "PLAIN";

    /// <summary>SCRAM with SHA-256 (RFC 7677).</summary>
    public const string ScramSha256 = "SCRAM-SHA-256";

    /// <summary>SCRAM with SHA-512.</summary>
    public const string ScramSha512 = "SCRAM-SHA-512";

    /// <summary>OAUTHBEARER (RFC 7628) with Kafka's unsecured-token validation: for development only, the token is not signed.</summary>
    public const string OAuthBearer = "OAUTHBEARER";

    /// <summary>Every mechanism this broker can serve.</summary>
    public static IReadOnlyList<string> SupportedMechanisms { get; } = [Plain, ScramSha256, ScramSha512, OAuthBearer];

    /// <summary>The mechanisms enabled (Kafka's <c>sasl.enabled.mechanisms</c>). Default PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.</summary>
    public IReadOnlyList<string> Mechanisms { get; init; } = [Plain, ScramSha256, ScramSha512];

    /// <summary>The users and their passwords, made into stored SCRAM credentials at start (the passwords are not kept).</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>The SCRAM iteration count of the credentials made from <see cref="Users"/> (4096 to 16384, as Kafka). Default 4096.</summary>
    public int ScramIterations { get; init; } = 4096;

    /// <summary>
    /// The longest an authenticated session lasts before the client must re-authenticate (KIP-368,
    /// <c>connections.max.reauth.ms</c>); a request on an expired session closes the connection. Null: no limit (Kafka's default).
    /// </summary>
    public TimeSpan? ConnectionsMaxReauth { get; init; }

    /// <summary>The largest request accepted before authentication completes (<c>sasl.server.max.receive.size</c>). Default 512 KiB.</summary>
    public int MaxReceiveSize { get; init; } = 512 * 1024;

    /// <summary>The clock skew allowed when checking an unsecured OAUTHBEARER token's times. Default 0, as Kafka.</summary>
    public TimeSpan OAuthBearerAllowableClockSkew { get; init; } = TimeSpan.Zero;

    /// <summary>Scopes an OAUTHBEARER token must carry (its <c>scope</c> claim). Default none.</summary>
    public IReadOnlyList<string>? OAuthBearerRequiredScopes { get; init; }
}
