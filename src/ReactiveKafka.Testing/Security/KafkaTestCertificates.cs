using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReactiveKafka.Testing;

/// <summary>
/// A throwaway certificate authority for tests, made in memory with <see cref="CertificateRequest"/>: a CA, a server
/// certificate for <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c> signed by it, and client certificates on demand
/// (mTLS). Leaf certificates are valid from a day ago for 30 days (the CA for a year); nothing touches the machine's certificate stores. Dispose to free the keys.
/// </summary>
public sealed class KafkaTestCertificates : IDisposable
{
    private KafkaTestCertificates(X509Certificate2 authority, X509Certificate2 server)
    {
        Authority = authority;
        Server = server;
    }

    /// <summary>The CA certificate, with its key (it signs the others).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The broker's certificate (<c>CN=localhost</c>), with its key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The CA certificate as PEM, for a client's <c>ssl.ca.pem</c> (or <c>ssl.ca.location</c> once written to a file).</summary>
    public string AuthorityPem => Authority.ExportCertificatePem();

    /// <summary>The server certificate as PEM.</summary>
    public string ServerCertificatePem => Server.ExportCertificatePem();

    /// <summary>The server certificate's private key as PKCS#8 PEM.</summary>
    public string ServerKeyPem => KeyPem(Server);

    /// <summary>Makes a new CA and a server certificate signed by it.</summary>
    public static KafkaTestCertificates Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=ReactiveKafka Test CA, O=ReactiveKafka", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        var authority = caRequest.CreateSelfSigned(now.AddDays(-2), now.AddDays(365));

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        var server = Issue(authority, "CN=localhost, O=ReactiveKafka", names.Build(), new OidCollection { new("1.3.6.1.5.5.7.3.1") });
        return new KafkaTestCertificates(authority, server);
    }

    /// <summary>A client certificate signed by the CA, with its key; its principal on the broker is <c>User:</c> and the subject in RFC 2253 form.</summary>
    /// <param name="subject">The subject, e.g. <c>CN=alice, O=Example</c> (principal <c>User:CN=alice,O=Example</c>).</param>
    public X509Certificate2 IssueClient(string subject) =>
        Issue(Authority, subject, extension: null, new OidCollection { new("1.3.6.1.5.5.7.3.2") });

    /// <summary>The certificate's private key as PKCS#8 PEM (for a client's <c>ssl.key.pem</c>).</summary>
    public static string KeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException($"The certificate {certificate.Subject} has no RSA private key.");
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Frees the keys.</summary>
    public void Dispose()
    {
        Server.Dispose();
        Authority.Dispose();
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject, X509Extension? extension, OidCollection usages)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (extension is not null)
        {
            request.CertificateExtensions.Add(extension);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(authority, now.AddDays(-1), now.AddDays(30), serial);
        using var withKey = signed.CopyWithPrivateKey(key);

        // Through PKCS#12 so that the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.Exportable);
    }
}
