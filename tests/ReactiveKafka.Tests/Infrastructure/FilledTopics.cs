using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// New topics already holding records, on one kind of broker: what tests that run the same scenario on the bundled
/// broker and on librdkafka's mock cluster need from each.
/// </summary>
public abstract class FilledTopics
{
    /// <summary>The broker's bootstrap servers.</summary>
    public abstract string BootstrapServers { get; }

    /// <summary>The partitions of the topics <see cref="CreateAsync"/> makes.</summary>
    public abstract int Partitions { get; }

    /// <summary>
    /// A new topic of <see cref="Partitions"/> partitions holding <paramref name="records"/> records, written in batches
    /// of at most <paramref name="recordsPerBatch"/> per partition.
    /// </summary>
    public abstract Task<string> CreateAsync(int records, int recordsPerBatch = 10_000);

    /// <summary>Topics of 6 partitions on the bundled broker, created before they are filled.</summary>
    public static FilledTopics On(BundledBrokerFixture broker) => new Bundled(broker);

    /// <summary>Topics on the mock cluster, which creates them with its default partitions on the first produce.</summary>
    public static FilledTopics On(MockClusterFixture mock, string prefix) => new MockCluster(mock, prefix);

    private sealed class Bundled(BundledBrokerFixture broker) : FilledTopics
    {
        public override string BootstrapServers => broker.BootstrapServers;

        public override int Partitions => 6;

        public override async Task<string> CreateAsync(int records, int recordsPerBatch = 10_000)
        {
            var topic = await broker.CreateTopicAsync(partitions: Partitions);
            Produce(broker.BootstrapServers, topic, records, Partitions, recordsPerBatch: recordsPerBatch);
            return topic;
        }
    }

    private sealed class MockCluster(MockClusterFixture mock, string prefix) : FilledTopics
    {
        public override string BootstrapServers => mock.BootstrapServers;

        public override int Partitions => MockClusterFixture.AutoCreatedPartitions;

        public override Task<string> CreateAsync(int records, int recordsPerBatch = 10_000)
        {
            var topic = prefix + Guid.NewGuid().ToString("N")[..12];
            Produce(mock.BootstrapServers, topic, records, Partitions, recordsPerBatch: recordsPerBatch);
            return Task.FromResult(topic);
        }
    }
}
