using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ReactiveKafka.Broker;

/// <summary>
/// The server side of TLS for the <see cref="BrokerSecurityProtocol.Ssl"/> and <see cref="BrokerSecurityProtocol.SaslSsl"/>
/// listeners: the broker's certificate and key (PEM files, a PKCS#12 file, or a certificate object with its private key),
/// the protocol versions, and optional client authentication (mTLS) against trusted CA certificates.
/// </summary>
public sealed record BrokerTlsOptions
{
    /// <summary>The PEM file of the broker's certificate (optionally followed by its chain); with <see cref="KeyPemPath"/>.</summary>
    public string? CertificatePemPath { get; init; }

    /// <summary>The PEM file of the certificate's private key (PKCS#8, PKCS#1 or SEC1; encrypted PKCS#8 with <see cref="KeyPassword"/>).</summary>
    public string? KeyPemPath { get; init; }

    /// <summary>The password of an encrypted PEM key or of the PKCS#12 file; null when not encrypted.</summary>
    public string? KeyPassword { get; init; }

    /// <summary>A PKCS#12 (<c>.p12</c>/<c>.pfx</c>) file holding the certificate and its key, instead of the PEM files.</summary>
    public string? Pkcs12Path { get; init; }

    /// <summary>The certificate with its private key, instead of files (tests make one at start).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The TLS versions offered. Default TLS 1.2 and 1.3.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Whether clients must (or may) present a certificate (Kafka's <c>ssl.client.auth</c>). Default none.</summary>
    public BrokerClientAuthentication ClientAuthentication { get; init; } = BrokerClientAuthentication.None;

    /// <summary>The PEM file of the CA certificates that client certificates must chain to (Kafka's truststore).</summary>
    public string? TrustedCaPemPath { get; init; }

    /// <summary>The CA certificates that client certificates must chain to, instead of <see cref="TrustedCaPemPath"/>.</summary>
    public X509Certificate2Collection? TrustedCaCertificates { get; init; }

    /// <summary>How long a client has for the TLS handshake before the connection is closed. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Whether TLS clients present certificates (Kafka's <c>ssl.client.auth</c>).</summary>
public enum BrokerClientAuthentication
{
    /// <summary>No client certificate is asked for (<c>none</c>).</summary>
    None,

    /// <summary>A certificate is asked for; a client without one is <c>User:ANONYMOUS</c>, a bad one is refused (<c>requested</c>).</summary>
    Requested,

    /// <summary>A client without a valid certificate is refused (<c>required</c>).</summary>
    Required,
}
