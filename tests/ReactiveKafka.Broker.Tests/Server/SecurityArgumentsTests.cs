using ReactiveKafka.Broker.Server;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>The standalone server's listener, TLS and SASL options, and their help.</summary>
public sealed class SecurityArgumentsTests
{
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory NoLogs = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    [Fact]
    public void Parse_SecurityOptions_MapToBrokerOptions()
    {
        var users = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(users, ["# users", "bob:pw:with:colons", ""]);
            var options = ServerArguments.Parse([
                "--listeners", "PLAINTEXT://127.0.0.1:0,CLIENT://127.0.0.1:0", "--advertised-listeners", "CLIENT://kafka.example:19093",
                "--listener-security-protocol-map", "CLIENT:SASL_SSL", "--ssl-cert", "/c.pem", "--ssl-key", "/k.pem", "--ssl-key-password", "kp",
                "--ssl-client-auth", "requested", "--ssl-ca", "/ca.pem", "--ssl-protocols", "TLSv1.3", "--sasl-mechanisms", "SCRAM-SHA-512,OAUTHBEARER",
                "--sasl-users", "alice:a1", "--sasl-users-file", users, "--connections-max-reauth-ms", "60000"]).ToOptions(NoLogs);

            Assert.Equal(
                [new BrokerListener("PLAINTEXT", "127.0.0.1:0"), new BrokerListener("CLIENT", "127.0.0.1:0", BrokerSecurityProtocol.SaslSsl) { AdvertisedAddress = "kafka.example:19093" }],
                options.Listeners);
            Assert.Equal(
                new BrokerTlsOptions
                {
                    CertificatePemPath = "/c.pem",
                    KeyPemPath = "/k.pem",
                    KeyPassword = "kp",
                    ClientAuthentication = BrokerClientAuthentication.Requested,
                    TrustedCaPemPath = "/ca.pem",
                    Protocols = System.Security.Authentication.SslProtocols.Tls13,
                },
                options.Tls);
            Assert.Equal(["SCRAM-SHA-512", "OAUTHBEARER"], options.Sasl!.Mechanisms);
            Assert.Equal(new Dictionary<string, string> { ["alice"] = "a1", ["bob"] = "pw:with:colons" }, options.Sasl.Users);
            Assert.Equal(TimeSpan.FromMinutes(1), options.Sasl.ConnectionsMaxReauth);
        }
        finally
        {
            File.Delete(users);
        }
    }

    [Fact]
    public void Default_HasNoListenersTlsOrSasl()
    {
        var options = ServerArguments.Parse([]).ToOptions(NoLogs);

        Assert.Null(options.Listeners);
        Assert.Null(options.Tls);
        Assert.Null(options.Sasl);
    }

    [Theory]
    [InlineData(new[] { "--sasl-users", "alice" }, "--sasl-users needs USER:PASSWORD entries, got 'alice'")]
    [InlineData(new[] { "--ssl-client-auth", "maybe" }, "--ssl-client-auth must be none, requested or required")]
    [InlineData(new[] { "--ssl-protocols", "TLSv1.0" }, "--ssl-protocols takes TLSv1.2 and/or TLSv1.3")]
    public void Parse_BadValue_NamesTheOption(string[] args, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerArguments.Parse(args));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AdvertisedListenersWithoutListeners_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => ServerArguments.Parse(["--advertised-listeners", "PLAINTEXT://h:1"]).ToOptions(NoLogs));

        Assert.Contains("need --listeners", error.Message);
    }

    [Fact]
    public void Help_NamesEverySecurityOption()
    {
        foreach (var option in new[] { "--listeners", "--advertised-listeners", "--listener-security-protocol-map", "--ssl-cert", "--ssl-key", "--ssl-pkcs12", "--ssl-key-password", "--ssl-client-auth", "--ssl-ca", "--ssl-protocols", "--sasl-mechanisms", "--sasl-users", "--sasl-users-file", "--connections-max-reauth-ms" })
        {
            Assert.Contains(option, ServerArguments.HelpText);
        }
    }
}
