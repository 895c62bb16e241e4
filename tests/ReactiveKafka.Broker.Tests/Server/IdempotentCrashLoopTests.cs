using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// kill -9 loops under an idempotent acks=all producer that lives across the restarts (same port): its retries of
/// batches the killed broker appended but never acknowledged must be recognised by the restarted broker's producer
/// state (rebuilt from snapshots and the log tail), so every acknowledged record is there exactly once and no record
/// is there twice. CI runs <see cref="DefaultLoops"/> loops; <c>.ci/crash-loop.sh</c> runs the full 20 (the
/// <c>REACTIVEKAFKA_CRASH_LOOPS</c> environment variable).
/// </summary>
public sealed class IdempotentCrashLoopTests : IDisposable
{
    private const int DefaultLoops = 3;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-idem-crash-" + Guid.NewGuid().ToString("N")[..8]);

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

    private static int Loops => int.TryParse(Environment.GetEnvironmentVariable("REACTIVEKAFKA_CRASH_LOOPS"), out var n) && n > 0 ? n : DefaultLoops;

    [Fact]
    public async Task KillLoops_DuringIdempotentAcksAllProduce_EveryAcknowledgedRecordOnce_NoDuplicates()
    {
        const string topic = "idem-crash";
        var listen = $"127.0.0.1:{FreePort()}";
        var acknowledged = new ConcurrentDictionary<string, long>();
        var failed = new ConcurrentDictionary<string, ErrorCode>();
        var sent = 0;
        ServerProcess? server = await ServerProcess.StartAsync(_dataDirectory, listen, "--segment-bytes", "32768");
        try
        {
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = server.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 2,
                BatchSize = 4096, // small batches: many of them in flight at each kill, and segments (32 KiB) roll, writing snapshots
                MessageTimeoutMs = 120_000,
                ReconnectBackoffMs = 50,
                ReconnectBackoffMaxMs = 200,
                AllowAutoCreateTopics = true,
            }).Build();
            void Report(DeliveryReport<Null, string> report)
            {
                if (report.Error.Code == ErrorCode.NoError && report.Status == PersistenceStatus.Persisted)
                {
                    acknowledged[report.Message.Value] = report.Offset.Value;
                }
                else
                {
                    failed[report.Message.Value] = report.Error.Code;
                }
            }

            void Send()
            {
                var value = $"r{sent++:D7}";
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, new Message<Null, string> { Value = value }, Report);
                        return;
                    }
                    catch (ProduceException<Null, string> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10)); // backpressure: wait for deliveries
                    }
                }
            }

            for (var loop = 0; loop < Loops; loop++)
            {
                // Produce until this round added acknowledgements, keep a burst in flight, then kill.
                var target = acknowledged.Count + 500;
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (acknowledged.Count < target && DateTime.UtcNow < deadline)
                {
                    Send();
                    if (sent % 50 == 0)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(1));
                    }
                }

                Assert.True(acknowledged.Count >= target, $"Loop {loop}: only {acknowledged.Count} of {target} acknowledged within 60 s. Output:\n{server.Output}");
                for (var i = 0; i < 2000; i++)
                {
                    Send();
                }

                server.Kill();
                server.Dispose();
                server = null;
                server = await ServerProcess.StartAsync(_dataDirectory, listen, "--segment-bytes", "32768");
            }

            // Everything still queued reaches the last broker (retries of what the kills caught included).
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(120)));
            Assert.True(failed.IsEmpty, $"{failed.Count} records failed: {string.Join(", ", failed.GroupBy(f => f.Value).Select(g => $"{g.Key} x{g.Count()} (first {g.Min(f => f.Key)})"))}. Output:\n{server.Output}");
            Assert.Equal(sent, acknowledged.Count);

            var log = ReadAll(server.BootstrapServers, topic);
            var duplicates = log.GroupBy(r => r.Value).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
            Assert.True(duplicates.Count == 0, $"Duplicated records: {string.Join(", ", duplicates)}");
            Assert.Equal(sent, log.Count);
            foreach (var (value, offset) in log)
            {
                Assert.Equal(acknowledged[value], offset);
            }

            // Order kept: the idempotent producer's records are in send order.
            Assert.Equal(log.Select(r => r.Value).Order(StringComparer.Ordinal), log.Select(r => r.Value));
        }
        finally
        {
            server?.Dispose();
        }
    }

    private static List<(string Value, long Offset)> ReadAll(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "verify",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        var records = new List<(string, long)>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                break;
            }

            records.Add((result.Message.Value, result.Offset.Value));
        }

        return records;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
