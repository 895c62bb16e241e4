using Confluent.Kafka;
using ReactiveKafka.Broker;
using ReactiveKafka.Testing;
using ReactiveKafka.Testing.Xunit;
using Xunit;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// One broker per test class (an xunit class fixture) from ReactiveKafka.Testing: the bundled broker by default, or
/// whatever <c>REACTIVEKAFKA_TEST_BROKER</c> names (a container, an external cluster), so that the SDK's own tests run
/// unchanged against each. Where the chosen broker cannot run here, the tests report skipped with the reason.
/// Helpers: a unique (prefixed, cleaned-up) topic per test, reading records back with a raw Confluent consumer.
/// </summary>
public sealed class BundledBrokerFixture : KafkaBrokerFixture
{
    /// <summary>The broker's bootstrap servers (skips the calling test when the broker is unavailable).</summary>
    public string BootstrapServers => Broker.BootstrapServers;

    /// <inheritdoc />
    protected override KafkaTestBrokerOptions CreateOptions() => new()
    {
        // Tests need throughput, not power-loss durability (which the broker's own tests cover).
        ConfigureBundled = o => o with { FlushPolicy = BrokerFlushPolicy.OperatingSystem },
    };

    public ProducerConfig ProducerConfig() => new() { BootstrapServers = BootstrapServers, LingerMs = 5 };

    /// <summary>Creates a unique topic for the calling test (prefixed, and deleted afterwards on an external cluster).</summary>
    public Task<string> CreateTopicAsync(int partitions = 1) => Broker.CreateTopicAsync(partitions);

    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the beginning until <paramref name="done"/> holds for the
    /// records read so far; throws <see cref="TimeoutException"/> (with the count read) when it does not within the timeout.
    /// </summary>
    public List<ConsumeResult<byte[], byte[]>> ConsumeUntil(
        string topic, Func<IReadOnlyList<ConsumeResult<byte[], byte[]>>, bool> done, TimeSpan? timeout = null, int partitions = 1)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "tests-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!done(records))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Read {records.Count} records of {topic} and the condition still does not hold.");
            }

            var record = consumer.Consume(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            if (record is not null && !record.IsPartitionEOF)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Reads <paramref name="count"/> records of <paramref name="topic"/> from the beginning.</summary>
    public List<ConsumeResult<byte[], byte[]>> Consume(string topic, int count, TimeSpan? timeout = null, int partitions = 1) =>
        ConsumeUntil(topic, records => records.Count >= count, timeout, partitions);

    /// <summary>The high watermark (the next offset) of one partition.</summary>
    public long HighWatermark(string topic, int partition = 0)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "tests-" + Guid.NewGuid().ToString("N"),
        }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10)).High.Value;
    }

}
