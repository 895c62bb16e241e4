using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Testing;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// One broker with the four listener kinds at once (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) on free loopback ports, a
/// throwaway CA and server certificate, the users alice and bob, and every SASL mechanism enabled. Its CA is also written
/// to <see cref="CaPemPath"/> for clients that read files.
/// </summary>
public class SecuredBrokerFixture : IAsyncLifetime
{
    public const string AlicePassword = "alice-secret";
    public const string BobPassword = "bob-secret";

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "rk-secured-" + Guid.NewGuid().ToString("N"));

    public KafkaTestCertificates Certificates { get; } = KafkaTestCertificates.Create();

    public KafkaBroker Broker { get; private set; } = null!;

    internal LogCapture Log { get; } = new();

    public string CaPemPath => Path.Combine(DataDirectory + "-ca", "ca.pem");

    /// <summary>The options the broker starts with; override to change them for a test class.</summary>
    protected virtual BrokerOptions Configure(BrokerOptions options) => options;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory + "-ca");
        await File.WriteAllTextAsync(CaPemPath, Certificates.AuthorityPem);
        Broker = await KafkaBroker.StartAsync(Configure(Options(DataDirectory, Certificates, Log)));
    }

    /// <summary>The four listeners with TLS and SASL as this fixture runs them.</summary>
    internal static BrokerOptions Options(string dataDirectory, KafkaTestCertificates certificates, LogCapture? log) => new()
    {
        DataDirectory = dataDirectory,
        GroupInitialRebalanceDelay = TimeSpan.Zero,
        LoggerFactory = log,
        Listeners =
        [
            new BrokerListener("PLAINTEXT", "127.0.0.1:0"),
            new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl),
            new BrokerListener("SASL_PLAINTEXT", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext),
            new BrokerListener("SASL_SSL", "127.0.0.1:0", BrokerSecurityProtocol.SaslSsl),
        ],
        Tls = new BrokerTlsOptions { Certificate = certificates.Server },
        Sasl = new BrokerSaslOptions
        {
            Mechanisms = BrokerSaslOptions.SupportedMechanisms,
            Users = new Dictionary<string, string> { ["alice"] = AlicePassword, ["bob"] = BobPassword },
        },
    };

    /// <summary>The listener's running address.</summary>
    public BrokerListenerInfo Listener(string name) => Broker.Listeners.Single(l => l.Name == name);

    /// <summary>A client config for the listener, with TLS trust and the SASL login where the listener needs them.</summary>
    public T Config<T>(string listener, string? mechanism = null, string user = "alice", string password = AlicePassword)
        where T : ClientConfig, new()
    {
        var info = Listener(listener);
        var config = new T { BootstrapServers = info.AdvertisedAddress, SocketTimeoutMs = 10_000 };
        config.SecurityProtocol = info.SecurityProtocol switch
        {
            BrokerSecurityProtocol.Ssl => SecurityProtocol.Ssl,
            BrokerSecurityProtocol.SaslPlaintext => SecurityProtocol.SaslPlaintext,
            BrokerSecurityProtocol.SaslSsl => SecurityProtocol.SaslSsl,
            _ => SecurityProtocol.Plaintext,
        };
        if (info.SecurityProtocol is BrokerSecurityProtocol.Ssl or BrokerSecurityProtocol.SaslSsl)
        {
            config.SslCaPem = Certificates.AuthorityPem;
        }

        if (info.SecurityProtocol is BrokerSecurityProtocol.SaslPlaintext or BrokerSecurityProtocol.SaslSsl)
        {
            mechanism ??= "PLAIN";
            config.Set("sasl.mechanism", mechanism);
            if (mechanism == "OAUTHBEARER")
            {
                config.Set("enable.sasl.oauthbearer.unsecure.jwt", "true");
                config.Set("sasl.oauthbearer.config", $"principal={user}");
            }
            else
            {
                config.SaslUsername = user;
                config.SaslPassword = password;
            }
        }

        return config;
    }

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        Certificates.Dispose();
        BrokerFixture.DeleteDirectory(DataDirectory);
        BrokerFixture.DeleteDirectory(DataDirectory + "-ca");
        GC.SuppressFinalize(this);
    }
}
