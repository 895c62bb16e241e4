using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Testing;
using Xunit;

namespace ReactiveKafka.Tests.Testing;

/// <summary>
/// Secured test brokers in one line: the SDK's sender and receiver over SASL_SSL (and the other kinds) through the
/// bundled test broker's helper configs, which carry the CA and the login; a client without them is refused.
/// </summary>
public sealed class SecuredTestBrokerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SenderAndReceiver_OverSaslSsl_ThroughTheSecuredTestBroker()
    {
        await using var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled, Security = KafkaTestSecurity.SaslSsl() }, Ct);
        Assert.Equal("sasl_ssl", broker.ClientSecurity["security.protocol"]);
        var topic = await broker.CreateTopicAsync(partitions: 2, cancellationToken: Ct);

        await using (var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.CreateProducerConfig())))
        {
            var results = await sender.Send(Enumerable.Range(0, 50).Select(i => new SenderRecord<string, string, int>(topic, $"k{i}", $"v{i}", i)).ToObservable())
                .ToList().Timeout(Timeout);
            Assert.Equal(50, results.Count);
            Assert.All(results, r => Assert.Null(r.Exception));
        }

        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(broker.CreateConsumerConfig()) { Topics = [topic] });
        var values = await receiver.Receive()
            .Do(r => r.Offset.Acknowledge())
            .Take(50)
            .Select(r => r.Value)
            .ToList()
            .Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"v{i}").Order(), values.Order());
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "PLAIN")]
    [InlineData(false, "SCRAM-SHA-512")]
    [InlineData(true, "OAUTHBEARER")]
    public async Task HelperConfigs_CarryTheClientSettings_OfEachKind(bool tls, string? mechanism)
    {
        var security = new KafkaTestSecurity { Tls = tls, SaslMechanism = mechanism, Users = new Dictionary<string, string> { ["app"] = "app-pw" } };
        await using var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled, Security = security }, Ct);
        var topic = await broker.CreateTopicAsync(cancellationToken: Ct);

        await broker.ProduceAsync(topic, [("k", "secured")], Ct);
        var records = await broker.ConsumeAsync(topic, 1, Timeout, Ct);

        Assert.Equal("secured", Assert.Single(records).Message.Value);
    }

    [Fact]
    public async Task ClientWithoutTheSettings_IsRefused_AndARestartKeepsTheSecurity()
    {
        await using var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled, Security = KafkaTestSecurity.SaslPlaintext("PLAIN") }, Ct);
        using (var bare = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, SocketTimeoutMs = 5000 }).SetErrorHandler((_, _) => { }).Build())
        {
            Assert.Throws<KafkaException>(() => bare.GetMetadata(TimeSpan.FromSeconds(3)));
        }

        await broker.RestartAsync(Ct);
        using var admin = new AdminClientBuilder(broker.CreateAdminClientConfig()).Build();
        Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers);
    }

    [Fact]
    public async Task Security_OnAnotherKind_IsRefusedNamingTheOption()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => KafkaTestBroker.StartAsync(
            new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.External, ExternalBootstrapServers = "127.0.0.1:1", Security = KafkaTestSecurity.Ssl() }, Ct));

        Assert.Contains("KafkaTestBrokerOptions.Security needs the bundled broker", error.Message);
    }
}
