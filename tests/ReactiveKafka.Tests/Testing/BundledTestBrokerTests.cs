using Confluent.Kafka;
using ReactiveKafka.Broker;
using ReactiveKafka.Testing;
using Xunit;

namespace ReactiveKafka.Tests.Testing;

public sealed class BundledTestBrokerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task StartAsync_Bundled_ServesRealClientsAndDeletesItsDataOnDispose()
    {
        var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled }, TestContext.Current.CancellationToken);
        string dataDirectory;
        await using (broker)
        {
            Assert.Equal(KafkaTestBrokerKind.Bundled, broker.Kind);
            dataDirectory = ((ReactiveKafka.Testing.Kinds.BundledTestBroker)broker).Broker.Options.DataDirectory;
            var topic = await broker.CreateTopicAsync(partitions: 2, cancellationToken: TestContext.Current.CancellationToken);
            Assert.StartsWith(broker.Options.TopicPrefix, topic);

            await broker.ProduceAsync(topic, [("a", "1"), ("b", "2"), (null, "3")], TestContext.Current.CancellationToken);
            var records = await broker.ConsumeAsync(topic, 3, Timeout, TestContext.Current.CancellationToken);

            Assert.Equal(["1", "2", "3"], records.Select(r => r.Message.Value).Order());
            Assert.True(Directory.Exists(dataDirectory));
        }

        Assert.False(Directory.Exists(dataDirectory));
    }

    [Fact]
    public async Task ConsumeAsync_FewerRecordsThanAsked_FailsWithWhatItSaw()
    {
        await using var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled }, TestContext.Current.CancellationToken);
        var topic = await broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        await broker.ProduceAsync(topic, [("k", "only-one")], TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => broker.ConsumeAsync(topic, 2, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken));

        Assert.Contains("saw 1", error.Message);
        Assert.Contains("k=only-one", error.Message);
    }

    [Fact]
    public async Task RestartAsync_SameDataAndAddress_KeepsTopicsRecordsAndCommittedOffsets()
    {
        await using var broker = await KafkaTestBroker.StartAsync(new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Bundled }, TestContext.Current.CancellationToken);
        var topic = await broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        await broker.ProduceAsync(topic, Enumerable.Range(0, 10).Select(i => ((string?)$"k{i}", (string?)$"v{i}")), TestContext.Current.CancellationToken);
        var group = "restart-" + Guid.NewGuid().ToString("N")[..8];
        using (var consumer = new ConsumerBuilder<string, string>(broker.CreateConsumerConfig(group)).Build())
        {
            consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
            consumer.Commit([new TopicPartitionOffset(topic, 0, 4)]);
        }

        var bootstrap = broker.BootstrapServers;
        await broker.RestartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(bootstrap, broker.BootstrapServers);
        var records = await broker.ConsumeAsync(topic, 10, Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v{i}"), records.Select(r => r.Message.Value));
        using var resumed = new ConsumerBuilder<string, string>(broker.CreateConsumerConfig(group)).Build();
        var committed = resumed.Committed([new TopicPartition(topic, 0)], Timeout);
        Assert.Equal(4, committed.Single().Offset.Value);
    }

    [Fact]
    public async Task StartAsync_External_PrefixesTopicsAndDeletesThemOnDispose()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-external-" + Guid.NewGuid().ToString("N")[..8]);
        await using var real = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0" }, TestContext.Current.CancellationToken);
        string topic;
        await using (var external = await KafkaTestBroker.StartAsync(
            new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.External, ExternalBootstrapServers = real.BootstrapServers, TopicPrefix = "ext-" },
            TestContext.Current.CancellationToken))
        {
            Assert.Equal(KafkaTestBrokerKind.External, external.Kind);
            Assert.Throws<NotSupportedException>(() => external.Faults);
            topic = await external.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.StartsWith("ext-", topic);
            await external.ProduceAsync(topic, [("k", "v")], TestContext.Current.CancellationToken);
            Assert.Single(await external.ConsumeAsync(topic, 1, Timeout, TestContext.Current.CancellationToken));
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = real.BootstrapServers }).Build();
        var remaining = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic);
        Assert.DoesNotContain(topic, remaining);
    }

    [Fact]
    public async Task StartAsync_ExternalUnreachable_IsUnavailableWithTheAddress()
    {
        var error = await Assert.ThrowsAsync<KafkaTestBrokerUnavailableException>(() => KafkaTestBroker.StartAsync(
            new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.External, ExternalBootstrapServers = "127.0.0.1:1" },
            TestContext.Current.CancellationToken));

        Assert.Contains("127.0.0.1:1", error.Message);
    }
}
