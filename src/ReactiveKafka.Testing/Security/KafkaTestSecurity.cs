namespace ReactiveKafka.Testing;

/// <summary>
/// A secured test broker: TLS and/or a SASL login. The bundled broker then listens with the matching security protocol
/// (SSL, SASL_PLAINTEXT or SASL_SSL), makes a throwaway CA and server certificate at start, and the helper configs
/// (<see cref="KafkaTestBroker.CreateProducerConfig"/> and the others, or <see cref="KafkaTestBroker.ApplyClientSecurity"/>)
/// carry the matching client settings.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await KafkaTestBroker.StartAsync(new() { Security = KafkaTestSecurity.SaslSsl() });
/// var config = broker.CreateConsumerConfig(); // security.protocol=SASL_SSL, ssl.ca.pem, sasl.* set
/// </code>
/// </example>
public sealed record KafkaTestSecurity
{
    /// <summary>The user the helper configs log in as when <see cref="Users"/> is not given.</summary>
    public const string DefaultUser = "test-user";

    /// <summary>Whether connections use TLS (the client trusts the throwaway CA through <c>ssl.ca.pem</c>).</summary>
    public bool Tls { get; init; }

    /// <summary>
    /// The SASL mechanism clients log in with (<c>PLAIN</c>, <c>SCRAM-SHA-256</c>, <c>SCRAM-SHA-512</c> or
    /// <c>OAUTHBEARER</c> with unsecured tokens); null for no SASL.
    /// </summary>
    public string? SaslMechanism { get; init; }

    /// <summary>The users and passwords the broker accepts; default one user, <see cref="DefaultUser"/>, with a random password.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>The user the helper configs log in as; default the first of <see cref="Users"/>.</summary>
    public string? ClientUser { get; init; }

    /// <summary>TLS only (security protocol SSL).</summary>
    public static KafkaTestSecurity Ssl() => new() { Tls = true };

    /// <summary>SASL without TLS (SASL_PLAINTEXT) with <paramref name="mechanism"/>.</summary>
    public static KafkaTestSecurity SaslPlaintext(string mechanism = "SCRAM-SHA-256") => new() { SaslMechanism = mechanism };

    /// <summary>SASL inside TLS (SASL_SSL) with <paramref name="mechanism"/>.</summary>
    public static KafkaTestSecurity SaslSsl(string mechanism = "SCRAM-SHA-256") => new() { Tls = true, SaslMechanism = mechanism };
}
