using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// The standalone server killed with SIGKILL while its log cleaner works on a compacted topic: after the restart the
/// log reads back whole, in offset order, with every key's latest acknowledged value at its offset. (CleanerTests
/// crashes deterministically at each swap step; this is the real kill, wherever it lands.)
/// </summary>
public sealed class CompactionCrashTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-compaction-crash-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task KillDuringCleaning_Restart_EveryLatestValueIsThere()
    {
        const string topic = "compacted-crash";
        var latest = new ConcurrentDictionary<string, (long Offset, string Value)>();
        string cleanerOutput;
        // Throttled to 20 MB/s so that a clean of the rolling 1 MiB segments is under way most of the time.
        using (var server = await ServerProcess.StartAsync(_dataDirectory, "127.0.0.1:0",
                   "--cleaner-backoff-ms", "20", "--cleaner-io-max-bytes-per-second", "20000000"))
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification
                {
                    Name = topic,
                    NumPartitions = 1,
                    ReplicationFactor = 1,
                    Configs = new() { ["cleanup.policy"] = "compact", ["segment.bytes"] = "1048576", ["min.cleanable.dirty.ratio"] = "0.01" },
                }]);
            }

            using var producer = new ProducerBuilder<string, string>(new ProducerConfig
            {
                BootstrapServers = server.BootstrapServers,
                Acks = Acks.All,
                LingerMs = 5,
                MessageTimeoutMs = 30_000,
            }).Build();
            var padding = new string('p', 1000);
            var failed = 0;
            for (var i = 0; i < 40_000; i++)
            {
                producer.Produce(topic, new Message<string, string> { Key = $"key-{i % 1000}", Value = $"{i}|{padding}" }, report =>
                {
                    if (report.Error.Code != ErrorCode.NoError)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }

                    latest.AddOrUpdate(report.Message.Key, (report.Offset.Value, report.Message.Value),
                        (_, old) => report.Offset.Value > old.Offset ? (report.Offset.Value, report.Message.Value) : old);
                });
            }

            Assert.Equal(0, producer.Flush(Timeout));
            Assert.Equal(0, failed);
            await Clients.BrokerFixture.WaitUntilAsync(() => server.Output.Contains("Cleaned compacted-crash-0", StringComparison.Ordinal), Timeout, "a first clean");
            server.Kill();
            cleanerOutput = server.Output;
        }

        Assert.Equal(1000, latest.Count);
        using var restarted = await ServerProcess.StartAsync(_dataDirectory);
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = restarted.BootstrapServers,
            GroupId = "compaction-crash-check",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value;
        Assert.Equal(40_000, end);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var read = new Dictionary<string, (long Offset, string Value)>();
        var previous = -1L;
        var deadline = DateTime.UtcNow + Timeout;
        while (previous < end - 1 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                Assert.True(record.Offset.Value > previous, $"Offset {record.Offset.Value} after {previous}.");
                previous = record.Offset.Value;
                read[record.Message.Key] = (record.Offset.Value, record.Message.Value);
            }
        }

        Assert.Equal(end - 1, previous);
        var wrong = latest.Where(l => !read.TryGetValue(l.Key, out var r) || r != l.Value).Select(l => l.Key).Take(5).ToList();
        Assert.True(wrong.Count == 0, $"Keys without their latest value after the crash: {string.Join(", ", wrong)}. Server output before the kill:\n{cleanerOutput}");

        // Whatever the crash left was completed or rolled back, and a clean stop leaves no swap files behind either.
        Assert.Equal(0, restarted.Terminate());
        var leftovers = Directory.EnumerateFiles(Path.Combine(_dataDirectory, topic + "-0"))
            .Where(f => f.EndsWith(".cleaned", StringComparison.Ordinal) || f.EndsWith(".swap", StringComparison.Ordinal) || f.EndsWith(".deleted", StringComparison.Ordinal))
            .Select(Path.GetFileName);
        Assert.Empty(leftovers);
    }
}
