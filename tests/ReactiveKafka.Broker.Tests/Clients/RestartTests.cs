using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class RestartTests
{
    [Fact]
    public async Task StartAsync_SameDataDirectoryAfterDispose_TopicsRecordsAndCommittedOffsetsSurvive()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-clients-restart-" + Guid.NewGuid().ToString("N"));
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        try
        {
            await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = "127.0.0.1:0" }, TestContext.Current.CancellationToken))
            {
                var fixture = new Helper(broker.BootstrapServers);
                using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
                {
                    await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }]);
                }

                using (var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build())
                {
                    for (var i = 0; i < 20; i++)
                    {
                        await producer.ProduceAsync(new TopicPartition(topic, i % 2), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" }, TestContext.Current.CancellationToken);
                    }
                }

                using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig(group)).Build();
                consumer.Assign([new TopicPartitionOffset(topic, 0, 0), new TopicPartitionOffset(topic, 1, 0)]);
                BrokerFixture.ConsumeCount(consumer, 20, TimeSpan.FromSeconds(15));
                consumer.Commit([new TopicPartitionOffset(topic, 0, 4), new TopicPartitionOffset(topic, 1, 7)]);
                consumer.Close();
            }

            await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = "127.0.0.1:0" }, TestContext.Current.CancellationToken))
            {
                var fixture = new Helper(broker.BootstrapServers);
                using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
                {
                    var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
                    var topicMetadata = Assert.Single(metadata.Topics, t => t.Topic == topic);
                    Assert.Equal(2, topicMetadata.Partitions.Count);
                }

                using (var grouped = new ConsumerBuilder<string, string>(fixture.ConsumerConfig(group)).Build())
                {
                    var committed = grouped.Committed([new TopicPartition(topic, 0), new TopicPartition(topic, 1)], TimeSpan.FromSeconds(10));
                    Assert.Equal([4L, 7L], committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value));

                    grouped.Subscribe(topic);
                    var resumed = BrokerFixture.ConsumeCount(grouped, (10 - 4) + (10 - 7), TimeSpan.FromSeconds(20));
                    Assert.Equal(4, resumed.Where(r => r.Partition == 0).Min(r => r.Offset.Value));
                    Assert.Equal(7, resumed.Where(r => r.Partition == 1).Min(r => r.Offset.Value));
                    Assert.Equal(9, resumed.Count);
                    grouped.Close();
                }

                using var replay = new ConsumerBuilder<string, string>(fixture.ConsumerConfig(BrokerFixture.NewGroup())).Build();
                replay.Assign([new TopicPartitionOffset(topic, 0, 0), new TopicPartitionOffset(topic, 1, 0)]);
                var all = BrokerFixture.ConsumeCount(replay, 20, TimeSpan.FromSeconds(15));
                Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}").Order(), all.Select(r => r.Message.Value).Order());
                Assert.All(all, r => Assert.Equal("k" + r.Message.Value[1..], r.Message.Key));
                Assert.Equal(
                    Enumerable.Range(0, 10).Select(i => $"v{(i * 2)}"),
                    all.Where(r => r.Partition == 0).OrderBy(r => r.Offset.Value).Select(r => r.Message.Value));
            }
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    /// <summary>The fixture's client configs for a broker the test starts itself.</summary>
    private sealed class Helper(string bootstrap) : BrokerFixture
    {
        public ProducerConfig ProducerConfig() => ProducerConfig(bootstrap);

        public ConsumerConfig ConsumerConfig(string group) => ConsumerConfig(group, bootstrap);

        public AdminClientConfig AdminConfig() => AdminConfig(bootstrap);
    }
}
