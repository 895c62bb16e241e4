using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker;
using Xunit;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// One bundled broker per test class (an xunit class fixture), listening on a free loopback port with its data in a
/// temporary directory that is deleted on dispose. Helpers: a unique topic per test (created through the
/// AdminClient) and reading records back with a raw Confluent consumer. To be replaced by ReactiveKafka.Testing.
/// </summary>
public sealed class BundledBrokerFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-tests", Guid.NewGuid().ToString("N"));
    private KafkaBroker? _broker;

    public KafkaBroker Broker => _broker ?? throw new InvalidOperationException("The broker is not started.");

    public string BootstrapServers => Broker.BootstrapServers;

    public async ValueTask InitializeAsync()
    {
        _broker = await KafkaBroker.StartAsync(new BrokerOptions
        {
            DataDirectory = _dataDirectory,
            Listener = "127.0.0.1:0",
            // Tests need throughput, not power-loss durability (which the broker's own tests cover).
            FlushPolicy = BrokerFlushPolicy.OperatingSystem,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public ProducerConfig ProducerConfig() => new() { BootstrapServers = BootstrapServers, LingerMs = 5 };

    /// <summary>Creates a topic named after the calling test plus a unique suffix.</summary>
    public async Task<string> CreateTopicAsync(int partitions = 1, [CallerMemberName] string test = "")
    {
        var prefix = Sanitize(test);
        var name = $"{(prefix.Length > 150 ? prefix[..150] : prefix)}-{Guid.NewGuid():N}";
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }]);
        return name;
    }

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

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
}
