using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// DescribeUserScramCredentials and AlterUserScramCredentials through Confluent.Kafka's admin client: a user added with a
/// salted password logs in (SCRAM and PLAIN), is described with its mechanism and iterations, is refused once deleted,
/// and Kafka's per-user errors come back; the credentials survive a restart.
/// </summary>
public sealed class ScramAdminTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UpsertedUser_LogsIn_IsDescribed_AndIsRefusedOnceDeleted()
    {
        var user = "carol-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("SASL_SSL", "SCRAM-SHA-512")).Build();
        await admin.AlterUserScramCredentialsAsync(
        [
            new UserScramCredentialUpsertion { User = user, ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha256, Iterations = 8192 }, Password = Encoding.UTF8.GetBytes("carol-pw") },
        ]);

        Assert.Single(Metadata(fixture.Config<AdminClientConfig>("SASL_PLAINTEXT", "SCRAM-SHA-256", user, "carol-pw")).Brokers);
        Assert.Single(Metadata(fixture.Config<AdminClientConfig>("SASL_PLAINTEXT", "PLAIN", user, "carol-pw")).Brokers);

        var described = Assert.Single((await admin.DescribeUserScramCredentialsAsync([user])).UserScramCredentialsDescriptions);
        Assert.Equal(user, described.User);
        var info = Assert.Single(described.ScramCredentialInfos);
        Assert.Equal(ScramMechanism.ScramSha256, info.Mechanism);
        Assert.Equal(8192, info.Iterations);

        var all = (await admin.DescribeUserScramCredentialsAsync([])).UserScramCredentialsDescriptions;
        Assert.Contains(all, d => d.User == "alice" && d.ScramCredentialInfos.Count == 2);

        await admin.AlterUserScramCredentialsAsync([new UserScramCredentialDeletion { User = user, Mechanism = ScramMechanism.ScramSha256 }]);
        Assert.Throws<KafkaException>(() => Metadata(fixture.Config<AdminClientConfig>("SASL_PLAINTEXT", "SCRAM-SHA-256", user, "carol-pw"), TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task BadAlterations_GetKafkasPerUserErrors()
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("SASL_SSL", "PLAIN")).Build();
        var error = await Assert.ThrowsAsync<AlterUserScramCredentialsException>(() => admin.AlterUserScramCredentialsAsync(
        [
            new UserScramCredentialUpsertion { User = "few", ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha256, Iterations = 100 }, Password = "x"u8.ToArray() },
            new UserScramCredentialDeletion { User = "nobody", Mechanism = ScramMechanism.ScramSha512 },
            new UserScramCredentialUpsertion { User = "twice", ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha256, Iterations = 4096 }, Password = "x"u8.ToArray() },
            new UserScramCredentialDeletion { User = "twice", Mechanism = ScramMechanism.ScramSha256 },
        ]));

        var byUser = error.Results.ToDictionary(r => r.User, r => r.Error);
        Assert.Equal(ErrorCode.UnacceptableCredential, byUser["few"].Code);
        Assert.Equal("Too few iterations", byUser["few"].Reason);
        Assert.Equal(ErrorCode.ResourceNotFound, byUser["nobody"].Code);
        Assert.Equal(ErrorCode.DuplicateResource, byUser["twice"].Code);

        var describe = await Assert.ThrowsAsync<DescribeUserScramCredentialsException>(() => admin.DescribeUserScramCredentialsAsync(["nobody"]));
        Assert.Equal(ErrorCode.ResourceNotFound, Assert.Single(describe.Results.UserScramCredentialsDescriptions).Error.Code);
    }

    [Fact]
    public async Task Credentials_SurviveARestart_AndNoPasswordIsStored()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-scram-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new BrokerOptions
            {
                DataDirectory = directory,
                Listeners = [new BrokerListener("SASL", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)],
                Sasl = new BrokerSaslOptions { Users = new Dictionary<string, string> { ["admin"] = "admin-pw" } },
            };
            AdminClientConfig Config(KafkaBroker broker, string user, string password) => new()
            {
                BootstrapServers = broker.BootstrapServers,
                SecurityProtocol = SecurityProtocol.SaslPlaintext,
                SaslMechanism = SaslMechanism.ScramSha512,
                SaslUsername = user,
                SaslPassword = password,
                SocketTimeoutMs = 5000,
            };

            await using (var broker = await KafkaBroker.StartAsync(options, Ct))
            {
                using var admin = new AdminClientBuilder(Config(broker, "admin", "admin-pw")).Build();
                await admin.AlterUserScramCredentialsAsync(
                [
                    new UserScramCredentialUpsertion { User = "dave", ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha512, Iterations = 4096 }, Password = "dave-pw-1234"u8.ToArray() },
                ]);
            }

            var stored = await File.ReadAllTextAsync(Path.Combine(directory, "scram-credentials.json"), Ct);
            Assert.Contains("\"dave\"", stored);
            Assert.DoesNotContain("dave-pw-1234", stored);
            Assert.DoesNotContain("admin-pw", stored);

            await using (var broker = await KafkaBroker.StartAsync(options, Ct))
            {
                Assert.Single(Metadata(Config(broker, "dave", "dave-pw-1234")).Brokers);
            }
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    private static Metadata Metadata(ClientConfig config, TimeSpan? timeout = null)
    {
        using var admin = new AdminClientBuilder(config).SetErrorHandler((_, _) => { }).Build();
        return admin.GetMetadata(timeout ?? TimeSpan.FromSeconds(10));
    }
}
