using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// The broker's TLS identity and client-certificate policy, loaded once at start from <see cref="BrokerTlsOptions"/>;
/// hands out the <see cref="SslServerAuthenticationOptions"/> of every TLS connection.
/// </summary>
internal sealed class ServerTls
{
    private readonly BrokerTlsOptions _options;
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _trusted;

    private ServerTls(BrokerTlsOptions options, X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        _options = options;
        _certificate = certificate;
        _trusted = trusted;
    }

    /// <summary>The certificate the broker presents.</summary>
    public X509Certificate2 Certificate => _certificate;

    /// <summary>How long the handshake may take.</summary>
    public TimeSpan HandshakeTimeout => _options.HandshakeTimeout;

    /// <summary>Loads the certificate and key and the trusted CAs.</summary>
    /// <exception cref="ArgumentException">A file is missing, unreadable, or the key does not match the certificate; the message names the option.</exception>
    public static ServerTls Load(BrokerTlsOptions options)
    {
        var certificate = LoadCertificate(options);
        if (!certificate.HasPrivateKey)
        {
            throw Invalid(options.Certificate is not null ? nameof(BrokerTlsOptions.Certificate) : options.Pkcs12Path is not null ? nameof(BrokerTlsOptions.Pkcs12Path) : nameof(BrokerTlsOptions.KeyPemPath),
                "gives a certificate without its private key.");
        }

        var trusted = new X509Certificate2Collection();
        if (options.TrustedCaCertificates is { } given)
        {
            trusted.AddRange(given);
        }

        if (options.TrustedCaPemPath is { } caPath)
        {
            try
            {
                trusted.ImportFromPemFile(caPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw Invalid(nameof(BrokerTlsOptions.TrustedCaPemPath), $"'{caPath}' cannot be read as PEM certificates: {ex.Message}", ex);
            }
        }

        if (options.ClientAuthentication != BrokerClientAuthentication.None && trusted.Count == 0)
        {
            throw Invalid(nameof(BrokerTlsOptions.ClientAuthentication), $"is {options.ClientAuthentication} but no CA is given to check client certificates against: set TrustedCaPemPath or TrustedCaCertificates.");
        }

        return new ServerTls(options, certificate, trusted);
    }

    /// <summary>
    /// The options of one server handshake; a refused client certificate leaves its reason in
    /// <paramref name="rejection"/> (SslStream itself only says the validation callback refused it).
    /// </summary>
    public SslServerAuthenticationOptions ServerOptions(StrongBox<string?> rejection) => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true),
        EnabledSslProtocols = _options.Protocols,
        ClientCertificateRequired = _options.ClientAuthentication != BrokerClientAuthentication.None,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            rejection.Value = ValidateClient(certificate, chain);
            return rejection.Value is null;
        },
    };

    // The client's certificate must chain to one of the trusted CAs (not the machine's roots: Kafka's truststore).
    // Returns why it is refused, or null.
    private string? ValidateClient(X509Certificate? certificate, X509Chain? chain)
    {
        if (certificate is null)
        {
            return _options.ClientAuthentication == BrokerClientAuthentication.Required
                ? "the client sent no certificate, and client authentication is required (Kafka: empty client certificate chain)"
                : null;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var loaded = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var client = certificate as X509Certificate2 ?? loaded!;
        return custom.Build(client)
            ? null
            : $"the client certificate '{client.Subject}' does not chain to a trusted CA: {string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct())}";
    }

    private static X509Certificate2 LoadCertificate(BrokerTlsOptions options)
    {
        if (options.Certificate is { } given)
        {
            return given;
        }

        if (options.Pkcs12Path is { } p12)
        {
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(p12, options.KeyPassword);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw Invalid(nameof(BrokerTlsOptions.Pkcs12Path), $"'{p12}' cannot be read as PKCS#12 (a wrong KeyPassword?): {ex.Message}", ex);
            }
        }

        var certPath = options.CertificatePemPath!;
        var keyPath = options.KeyPemPath!;
        X509Certificate2 pem;
        try
        {
            pem = options.KeyPassword is { } password
                ? X509Certificate2.CreateFromEncryptedPemFile(certPath, password, keyPath)
                : X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Invalid(nameof(BrokerTlsOptions.CertificatePemPath), $"or KeyPemPath cannot be read: {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw Invalid(nameof(BrokerTlsOptions.KeyPemPath), $"'{keyPath}' is not a private key of the certificate in '{certPath}' (the key does not match, is malformed, or needs KeyPassword): {ex.Message}", ex);
        }

        // An ephemeral PEM key cannot serve TLS on every platform; a PKCS#12 round trip makes it a persisted one.
        using (pem)
        {
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    private static ArgumentException Invalid(string option, string problem, Exception? inner = null) =>
        new($"BrokerOptions.Tls.{option} {problem}", option, inner);
}
