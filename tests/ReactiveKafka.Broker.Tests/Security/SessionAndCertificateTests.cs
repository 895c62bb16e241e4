using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ErrorCode = ReactiveKafka.Protocol.ErrorCode;
using ReactiveKafka.Protocol.Messages;
using ReactiveKafka.Testing;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// Brokers started per test: a SASL session lifetime (KIP-368) that expires and is renewed on the same connection,
/// client certificates (mTLS) with the subject as principal, and the certificate read from PEM files or PKCS#12.
/// </summary>
public sealed partial class SessionAndCertificateTests : IDisposable
{
    private static readonly KafkaTestCertificates Certificates = KafkaTestCertificates.Create();
    private readonly List<string> _directories = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    [Fact]
    public async Task SessionLifetime_IsToldToTheClient_AnExpiredSessionIsClosed_AndRenewalKeepsTheConnection()
    {
        await using var broker = await StartAsync(o => o with
        {
            Listeners = [new BrokerListener("SASL", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)],
            Sasl = new BrokerSaslOptions { Users = new Dictionary<string, string> { ["alice"] = "pw", ["bob"] = "pw2" }, ConnectionsMaxReauth = TimeSpan.FromMilliseconds(1500) },
        });
        var endpoint = broker.ListenEndPoint;

        // Renewed before it expires: same connection, same principal, a fresh lifetime.
        using (var connection = await RawKafkaConnection.ConnectAsync(endpoint, Ct))
        {
            await SaslProtocolTests.HandshakeAsync(connection, "PLAIN", 1);
            var first = await SaslProtocolTests.AuthenticateAsync(connection, SaslProtocolTests.Plain("alice", "pw"), 1);
            Assert.Equal(1500, first.SessionLifetimeMs);
            Assert.Equal((short)ErrorCode.None, (await SaslProtocolTests.HandshakeAsync(connection, "PLAIN", 1)).ErrorCode);
            var renewed = await SaslProtocolTests.AuthenticateAsync(connection, SaslProtocolTests.Plain("alice", "pw"), 1);
            Assert.Equal(1500, renewed.SessionLifetimeMs);
            var (metadata, id) = connection.Frame(new MetadataRequest { Topics = null }, 1);
            await connection.SendAsync(Ct, metadata);
            Assert.Single((await connection.ReceiveAsync<MetadataResponse>(id, 1, Ct)).Brokers);

            // Another user on a renewal is refused, as Kafka ("Cannot change principals during re-authentication").
            await SaslProtocolTests.HandshakeAsync(connection, "PLAIN", 1);
            var other = await SaslProtocolTests.AuthenticateAsync(connection, SaslProtocolTests.Plain("bob", "pw2"), 1);
            Assert.Equal((short)ErrorCode.SaslAuthenticationFailed, other.ErrorCode);
            Assert.Contains("Cannot change principals during re-authentication from User:alice to User:bob", other.ErrorMessage);
        }

        // Not renewed: the first request after the lifetime closes the connection.
        using (var connection = await RawKafkaConnection.ConnectAsync(endpoint, Ct))
        {
            await SaslProtocolTests.HandshakeAsync(connection, "PLAIN", 1);
            var started = DateTime.UtcNow;
            await SaslProtocolTests.AuthenticateAsync(connection, SaslProtocolTests.Plain("alice", "pw"), 1);
            await Task.Delay(TimeSpan.FromMilliseconds(1500) - (DateTime.UtcNow - started) + TimeSpan.FromMilliseconds(200), Ct);
            var (metadata, _) = connection.Frame(new MetadataRequest { Topics = null }, 1);
            await connection.SendAsync(Ct, metadata);
            Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
        }
    }

    [Fact]
    public async Task Librdkafka_ReauthenticatesOnTheSameConnection_AndKeepsProducing()
    {
        var log = new LogCapture();
        await using var broker = await StartAsync(o => o with
        {
            LoggerFactory = log,
            Listeners = [new BrokerListener("SASL", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)],
            Sasl = new BrokerSaslOptions { Users = new Dictionary<string, string> { ["alice"] = "pw" }, ConnectionsMaxReauth = TimeSpan.FromSeconds(2) },
        });
        var config = new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.ScramSha256,
            SaslUsername = "alice",
            SaslPassword = "pw",
        };
        var topic = BrokerFixture.NewTopic("reauth");
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "before" }, Ct);

        // Wait for a connection to log in a second time (librdkafka renews at ~85-95 % of the lifetime).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!AuthenticatedTwiceOnOneConnection(log) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(AuthenticatedTwiceOnOneConnection(log), "a connection re-authenticated: " + string.Join(" | ", log.Lines.Where(l => l.Contains("authenticated as"))));
        var after = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" }, Ct);
        Assert.Equal(1, after.Offset.Value);
    }

    [Fact]
    public async Task ClientCertificate_Required_TheSubjectIsThePrincipal_AndNoCertificateIsRefused()
    {
        var log = new LogCapture();
        await using var broker = await StartAsync(o => o with
        {
            LoggerFactory = log,
            Listeners = [new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)],
            Tls = new BrokerTlsOptions
            {
                Certificate = Certificates.Server,
                ClientAuthentication = BrokerClientAuthentication.Required,
                TrustedCaCertificates = [Certificates.Authority],
            },
        });
        using var client = Certificates.IssueClient("CN=client-1, OU=payments, O=ReactiveKafka");
        var withCertificate = new AdminClientConfig
        {
            BootstrapServers = broker.BootstrapServers,
            SecurityProtocol = SecurityProtocol.Ssl,
            SslCaPem = Certificates.AuthorityPem,
            SslCertificatePem = client.ExportCertificatePem(),
            SslKeyPem = KafkaTestCertificates.KeyPem(client),
        };
        using (var admin = new AdminClientBuilder(withCertificate).Build())
        {
            Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers);
        }

        Assert.Contains(log.Lines, l => l.Contains("principal User:CN=client-1,OU=payments,O=ReactiveKafka"));

        var without = new AdminClientConfig { BootstrapServers = broker.BootstrapServers, SecurityProtocol = SecurityProtocol.Ssl, SslCaPem = Certificates.AuthorityPem, SocketTimeoutMs = 5000 };
        using (var refused = new AdminClientBuilder(without).SetErrorHandler((_, _) => { }).Build())
        {
            Assert.Throws<KafkaException>(() => refused.GetMetadata(TimeSpan.FromSeconds(3)));
        }

        Assert.True(SpinWait.SpinUntil(() => log.Lines.Any(l => l.Contains("the client sent no certificate, and client authentication is required")), TimeSpan.FromSeconds(10)),
            "the broker logs why: " + string.Join(" | ", log.Lines.Where(l => l.Contains("TLS handshake failed"))));

        // A certificate from another CA is refused too, and the log names its subject.
        using var otherCa = KafkaTestCertificates.Create();
        using var stranger = otherCa.IssueClient("CN=stranger");
        var untrusted = new AdminClientConfig(withCertificate) { SslCertificatePem = stranger.ExportCertificatePem(), SslKeyPem = KafkaTestCertificates.KeyPem(stranger), SocketTimeoutMs = 5000 };
        using (var refused = new AdminClientBuilder(untrusted).SetErrorHandler((_, _) => { }).Build())
        {
            Assert.Throws<KafkaException>(() => refused.GetMetadata(TimeSpan.FromSeconds(3)));
        }

        Assert.True(SpinWait.SpinUntil(() => log.Lines.Any(l => l.Contains("the client certificate 'CN=stranger' does not chain to a trusted CA")), TimeSpan.FromSeconds(10)),
            "the broker logs why: " + string.Join(" | ", log.Lines.Where(l => l.Contains("TLS handshake failed"))));
    }

    [Fact]
    public async Task CertificateFromPemFiles_AndFromPkcs12_ServeTls()
    {
        var files = NewDirectory();
        Directory.CreateDirectory(files);
        var certPath = Path.Combine(files, "server.pem");
        var keyPath = Path.Combine(files, "server.key");
        var p12Path = Path.Combine(files, "server.p12");
        await File.WriteAllTextAsync(certPath, Certificates.ServerCertificatePem, Ct);
        await File.WriteAllTextAsync(keyPath, Certificates.ServerKeyPem, Ct);
        await File.WriteAllBytesAsync(p12Path, Certificates.Server.Export(X509ContentType.Pkcs12, "p12-secret"), Ct);

        foreach (var tls in new[] { new BrokerTlsOptions { CertificatePemPath = certPath, KeyPemPath = keyPath }, new BrokerTlsOptions { Pkcs12Path = p12Path, KeyPassword = "p12-secret" } })
        {
            await using var broker = await StartAsync(o => o with { Listeners = [new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)], Tls = tls });
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, SecurityProtocol = SecurityProtocol.Ssl, SslCaPem = Certificates.AuthorityPem }).Build();
            Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers);
        }
    }

    [Fact]
    public async Task KeyOfAnotherCertificate_FailsTheStartNamingKeyPemPath()
    {
        var files = NewDirectory();
        Directory.CreateDirectory(files);
        using var other = KafkaTestCertificates.Create();
        var certPath = Path.Combine(files, "server.pem");
        var keyPath = Path.Combine(files, "other.key");
        await File.WriteAllTextAsync(certPath, Certificates.ServerCertificatePem, Ct);
        await File.WriteAllTextAsync(keyPath, other.ServerKeyPem, Ct);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(o => o with
        {
            Listeners = [new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)],
            Tls = new BrokerTlsOptions { CertificatePemPath = certPath, KeyPemPath = keyPath },
        }));

        Assert.Contains("BrokerOptions.Tls.KeyPemPath", error.Message);
        Assert.Contains("does not match", error.Message);
    }

    private static bool AuthenticatedTwiceOnOneConnection(LogCapture log) => log.Lines
        .Select(l => AuthenticatedLine().Match(l))
        .Where(m => m.Success)
        .GroupBy(m => m.Groups[1].Value)
        .Any(g => g.Count() >= 2);

    [GeneratedRegex(@"Connection (\d+) from .* authenticated as User:alice")]
    private static partial Regex AuthenticatedLine();

    private async Task<KafkaBroker> StartAsync(Func<BrokerOptions, BrokerOptions> configure) =>
        await KafkaBroker.StartAsync(configure(new BrokerOptions { DataDirectory = NewDirectory(), GroupInitialRebalanceDelay = TimeSpan.Zero }), Ct);

    private string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-sec-" + Guid.NewGuid().ToString("N"));
        _directories.Add(directory);
        return directory;
    }
}
