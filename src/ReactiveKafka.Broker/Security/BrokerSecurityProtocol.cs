namespace ReactiveKafka.Broker;

/// <summary>How a listener protects its connections (Kafka's <c>security.protocol</c> values).</summary>
public enum BrokerSecurityProtocol
{
    /// <summary>No TLS, no authentication: every client is <c>User:ANONYMOUS</c>.</summary>
    Plaintext,

    /// <summary>TLS (see <see cref="BrokerOptions.Tls"/>); with client authentication the principal is the certificate's subject.</summary>
    Ssl,

    /// <summary>SASL authentication (see <see cref="BrokerOptions.Sasl"/>) without TLS.</summary>
    SaslPlaintext,

    /// <summary>SASL authentication inside TLS.</summary>
    SaslSsl,
}

/// <summary>Kafka's spellings of <see cref="BrokerSecurityProtocol"/> and what each one needs.</summary>
public static class BrokerSecurityProtocols
{
    /// <summary>Kafka's name: <c>PLAINTEXT</c>, <c>SSL</c>, <c>SASL_PLAINTEXT</c> or <c>SASL_SSL</c>.</summary>
    public static string KafkaName(this BrokerSecurityProtocol protocol) => protocol switch
    {
        BrokerSecurityProtocol.Ssl => "SSL",
        BrokerSecurityProtocol.SaslPlaintext => "SASL_PLAINTEXT",
        BrokerSecurityProtocol.SaslSsl => "SASL_SSL",
        _ => "PLAINTEXT",
    };

    /// <summary>Whether connections of this protocol are wrapped in TLS.</summary>
    public static bool UsesTls(this BrokerSecurityProtocol protocol) => protocol is BrokerSecurityProtocol.Ssl or BrokerSecurityProtocol.SaslSsl;

    /// <summary>Whether clients of this protocol must authenticate with SASL before anything else.</summary>
    public static bool UsesSasl(this BrokerSecurityProtocol protocol) => protocol is BrokerSecurityProtocol.SaslPlaintext or BrokerSecurityProtocol.SaslSsl;

    /// <summary>Reads Kafka's name of a protocol (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? name, out BrokerSecurityProtocol protocol)
    {
        protocol = BrokerSecurityProtocol.Plaintext;
        switch (name?.Trim().ToUpperInvariant())
        {
            case "PLAINTEXT":
                return true;
            case "SSL":
                protocol = BrokerSecurityProtocol.Ssl;
                return true;
            case "SASL_PLAINTEXT":
                protocol = BrokerSecurityProtocol.SaslPlaintext;
                return true;
            case "SASL_SSL":
                protocol = BrokerSecurityProtocol.SaslSsl;
                return true;
            default:
                return false;
        }
    }
}
