using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>Every bad combination of listeners, TLS and SASL fails validation with a message naming the option; Kafka's listener settings parse.</summary>
public sealed class SecurityOptionsTests
{
    private static readonly BrokerOptions Base = new() { DataDirectory = "/tmp/unused" };

    private static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string> { ["alice"] = "pw" };

    [Fact]
    public void Default_IsOnePlaintextLoopbackListenerWithoutUsers()
    {
        var listener = Assert.Single(Base.EffectiveListeners());

        Assert.Equal(new BrokerListener("PLAINTEXT", "127.0.0.1:9092"), listener);
        Assert.Null(Base.Sasl);
        Assert.Null(Base.Tls);
        Base.Validate();
    }

    public static TheoryData<string, BrokerOptions, string> BadCombinations() => new()
    {
        { "SASL listener without Sasl", Base with { Listeners = [new("S", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)] }, "BrokerOptions.Sasl is required: listener S is SASL_PLAINTEXT" },
        { "SASL_SSL with a missing PKCS#12 file", Base with { Listeners = [new("S", "127.0.0.1:0", BrokerSecurityProtocol.SaslSsl)], Tls = new() { Pkcs12Path = "/nonexistent.p12" }, Sasl = new() }, "BrokerOptions.Tls.Pkcs12Path '/nonexistent.p12' does not exist" },
        { "SASL_PLAINTEXT listener without users", Base with { Listeners = [new("S", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)], Sasl = new() }, "BrokerOptions.Sasl.Users is required: listener S is SASL_PLAINTEXT" },
        { "SSL without a certificate", Base with { Listeners = [new("T", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)] }, "BrokerOptions.Tls is required: listener T is SSL" },
        { "SSL with an empty Tls", Base with { Listeners = [new("T", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)], Tls = new() }, "BrokerOptions.Tls.CertificatePemPath is required" },
        { "PEM certificate without key", Base with { Listeners = [new("T", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)], Tls = new() { CertificatePemPath = "/c.pem" } }, "BrokerOptions.Tls.KeyPemPath is required with the other" },
        { "two certificate sources", Base with { Listeners = [new("T", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)], Tls = new() { CertificatePemPath = "/c.pem", KeyPemPath = "/k.pem", Pkcs12Path = "/p.p12" } }, "must give the certificate one way" },
        { "mTLS without a CA", Base with { Listeners = [new("T", "127.0.0.1:0", BrokerSecurityProtocol.Ssl)], Tls = new() { Pkcs12Path = "/etc/hostname", ClientAuthentication = BrokerClientAuthentication.Required } }, "BrokerOptions.Tls.ClientAuthentication is Required, which needs the CA" },
        { "unknown mechanism", Base with { Sasl = new() { Mechanisms = ["GSSAPI"], Users = Users } }, "BrokerOptions.Sasl.Mechanisms 'GSSAPI' is not served" },
        { "no mechanism", Base with { Sasl = new() { Mechanisms = [], Users = Users } }, "BrokerOptions.Sasl.Mechanisms must enable at least one" },
        { "too few iterations", Base with { Sasl = new() { Users = Users, ScramIterations = 1000 } }, "BrokerOptions.Sasl.ScramIterations must be from 4096 to 16384" },
        { "empty password", Base with { Sasl = new() { Users = new Dictionary<string, string> { ["bob"] = "" } } }, "BrokerOptions.Sasl.Users user 'bob' has an empty password" },
        { "two listeners, one name", Base with { Listeners = [new("A", "127.0.0.1:0"), new("a", "127.0.0.1:0")] }, "BrokerOptions.Listeners name listener a twice" },
        { "two listeners, one port", Base with { Listeners = [new("A", "127.0.0.1:9500"), new("B", "127.0.0.1:9500")] }, "listeners A and B both use port 9500" },
        { "bad listener address", Base with { Listeners = [new("A", "kafka.example:9092")] }, "listener A: 'kafka.example:9092' is not a host:port" },
        { "bad advertised address", Base with { Listeners = [new("A", "127.0.0.1:0") { AdvertisedAddress = "host:0" }] }, "listener A: advertised address 'host:0'" },
        { "no listeners", Base with { Listeners = [] }, "BrokerOptions.Listeners must hold at least one listener" },
        { "bad reauth", Base with { Sasl = new() { Users = Users, ConnectionsMaxReauth = TimeSpan.Zero } }, "BrokerOptions.Sasl.ConnectionsMaxReauth must be positive" },
    };

    [Theory]
    [MemberData(nameof(BadCombinations))]
    public void BadCombination_FailsNamingTheOption(string why, BrokerOptions options, string expected)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{why}: '{error.Message}' should contain '{expected}'");
    }

    [Fact]
    public void OAuthBearerOnly_NeedsNoUsers()
    {
        var options = Base with { Listeners = [new("S", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)], Sasl = new() { Mechanisms = [BrokerSaslOptions.OAuthBearer] } };

        options.Validate();
    }

    [Fact]
    public void Parse_ReadsKafkasThreeSettings()
    {
        var listeners = BrokerListener.Parse(
            "CLIENT://127.0.0.1:9093,PLAINTEXT://0.0.0.0:9092,SSL://127.0.0.1:0",
            "CLIENT://kafka.example:19093",
            "CLIENT:SASL_SSL");

        Assert.Equal(
            [
                new BrokerListener("CLIENT", "127.0.0.1:9093", BrokerSecurityProtocol.SaslSsl) { AdvertisedAddress = "kafka.example:19093" },
                new BrokerListener("PLAINTEXT", "0.0.0.0:9092"),
                new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl),
            ],
            listeners);
    }

    [Theory]
    [InlineData("CLIENT://127.0.0.1:9093", null, null, "no security protocol for listener CLIENT")]
    [InlineData("PLAINTEXT:9092", null, null, "listeners entry 'PLAINTEXT:9092' is not NAME://host:port")]
    [InlineData("PLAINTEXT://127.0.0.1:9092", "OTHER://h:1", null, "advertised.listeners names listener OTHER, which is not in listeners")]
    [InlineData("A://127.0.0.1:9092", null, "A:TLS", "listener.security.protocol.map entry 'A:TLS'")]
    [InlineData("", null, null, "listeners must name at least one listener")]
    public void Parse_BadSetting_NamesIt(string listeners, string? advertised, string? map, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerListener.Parse(listeners, advertised, map));

        Assert.Contains(expected, error.Message);
    }
}
