using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>The standalone server killed with SIGKILL: acknowledged acks=all writes survive, and a torn tail is repaired.</summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-crash-" + Guid.NewGuid().ToString("N")[..8]);

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
    public async Task KillDuringAcksAllProduce_Restart_EveryAcknowledgedRecordIsThere()
    {
        const string topic = "crash";
        var acknowledged = new ConcurrentDictionary<string, long>();
        using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig
            {
                BootstrapServers = server.BootstrapServers,
                Acks = Acks.All,
                LingerMs = 2,
                MessageTimeoutMs = 5000,
                AllowAutoCreateTopics = true,
            }).Build();

            // Produce until well past 3000 acknowledgements, then kill the broker with more still in flight.
            var sent = 0;
            var deadline = DateTime.UtcNow + Timeout;
            while (acknowledged.Count < 3000 && DateTime.UtcNow < deadline)
            {
                var value = $"record-{sent++}";
                producer.Produce(topic, new Message<string, string> { Key = value, Value = value }, report =>
                {
                    if (report.Error.Code == ErrorCode.NoError && report.Status == PersistenceStatus.Persisted)
                    {
                        acknowledged[report.Message.Value] = report.Offset.Value;
                    }
                });
                if (sent % 100 == 0)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }

            // A burst the broker cannot have acknowledged yet when the kill lands.
            for (var i = 0; i < 50_000; i++)
            {
                var value = $"record-{sent++}";
                producer.Produce(topic, new Message<string, string> { Key = value, Value = value }, report =>
                {
                    if (report.Error.Code == ErrorCode.NoError && report.Status == PersistenceStatus.Persisted)
                    {
                        acknowledged[report.Message.Value] = report.Offset.Value;
                    }
                });
            }

            server.Kill();
            Assert.True(acknowledged.Count >= 3000, $"Only {acknowledged.Count} records were acknowledged within {Timeout}.");
            Assert.True(sent > acknowledged.Count, "The kill should have caught records in flight.");
        }

        var survivors = new Dictionary<string, long>();
        using (var restarted = await ServerProcess.StartAsync(_dataDirectory))
        {
            using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
            {
                BootstrapServers = restarted.BootstrapServers,
                GroupId = "crash-check",
                EnableAutoCommit = false,
            }).Build();
            var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value;
            consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            foreach (var record in BrokerFixture.ConsumeCount(consumer, (int)end, Timeout))
            {
                survivors[record.Message.Value] = record.Offset.Value;
            }

            Assert.Equal(end, survivors.Count);
        }

        var missing = acknowledged.Where(a => !survivors.TryGetValue(a.Key, out var offset) || offset != a.Value).Take(5).ToList();
        Assert.True(missing.Count == 0, $"Acknowledged but lost or moved after the crash: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task TornTail_Restart_TruncatesTheLastBatchAndKeepsAppending()
    {
        const string topic = "torn";
        using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = server.BootstrapServers, Acks = Acks.All }).Build();
            for (var i = 0; i < 10; i++)
            {
                // One batch per record: each produce is awaited.
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = $"v{i}" }, TestContext.Current.CancellationToken);
            }

            server.Kill();
        }

        // Cut the last batch in half, as a crash in the middle of a write would.
        var segment = Directory.GetFiles(Path.Combine(_dataDirectory, topic + "-0"), "*.log").Single();
        var length = new FileInfo(segment).Length;
        using (var file = File.Open(segment, FileMode.Open))
        {
            file.SetLength(length - 20);
        }

        using var restarted = await ServerProcess.StartAsync(_dataDirectory);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = restarted.BootstrapServers, Acks = Acks.All }).Build())
        {
            var appended = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "after" }, TestContext.Current.CancellationToken);
            Assert.Equal(9, appended.Offset.Value);
        }

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = restarted.BootstrapServers, GroupId = "torn-check" }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var values = BrokerFixture.ConsumeCount(consumer, 10, Timeout).Select(r => r.Message.Value);

        Assert.Equal([.. Enumerable.Range(0, 9).Select(i => $"v{i}"), "after"], values);
    }

    [Fact]
    public async Task Sigterm_StopsGracefullyWithExitCodeZero()
    {
        using var server = await ServerProcess.StartAsync(_dataDirectory);

        var exitCode = server.Terminate();

        Assert.Equal(0, exitCode);
        Assert.Contains("Stopped", server.Output);
    }
}
