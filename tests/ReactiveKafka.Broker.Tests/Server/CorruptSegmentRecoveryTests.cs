using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// The issue's two storage-fault scenarios at a reduced size: a damaged time index plus one broken batch in the middle
/// of the first of several segments. Recovery used to truncate that segment at the batch and delete every segment after
/// it (825,016 and 150,000 acknowledged records lost); now only the damaged batch is refused (CORRUPT_MESSAGE, which
/// librdkafka and the Java client hand to the application) and every other record is served.
/// </summary>
public sealed class CorruptSegmentRecoveryTests : IDisposable
{
    private const int Records = 20_000;
    private const int SegmentBytes = 640 * 1024; // about four segments of 20,000 small records
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "rk-corrupt-" + Guid.NewGuid().ToString("N")[..8]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => BrokerFixture.DeleteDirectory(_dataDirectory);

    [Fact]
    public async Task CleanShutdown_MalformedBatchHeaderInTheFirstSegmentAndDamagedTimeIndex_OnlyThatBatchIsRefused()
    {
        const string topic = "clean-shutdown";
        await using (var broker = await KafkaBroker.StartAsync(Options(), Ct))
        {
            await CreateAndFillAsync(broker.BootstrapServers, topic);
        }

        var damaged = BreakMiddleBatchOfFirstSegment(topic);

        await using var restarted = await KafkaBroker.StartAsync(Options(), Ct);
        AssertEverythingButTheDamagedBatchIsServed(restarted.BootstrapServers, topic, damaged);
    }

    [Fact]
    public async Task Crash_MalformedBatchHeaderInAnOldSegmentAndDamagedTimeIndex_OnlyThatBatchIsRefused()
    {
        // After a kill nothing was checkpointed, so every segment is re-validated: the broken batch is not the torn tail
        // of a crash (valid batches and segments follow it), so it must not be cut off with everything after it.
        const string topic = "crash";
        using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            await CreateAndFillAsync(server.BootstrapServers, topic);
            server.Kill();
        }

        var damaged = BreakMiddleBatchOfFirstSegment(topic);

        using var restarted = await ServerProcess.StartAsync(_dataDirectory);
        AssertEverythingButTheDamagedBatchIsServed(restarted.BootstrapServers, topic, damaged);
        Assert.Contains("00000000000000000000.log", restarted.Output);
        Assert.Contains($"offsets {damaged.BaseOffset}", restarted.Output);
    }

    private BrokerOptions Options() => new() { DataDirectory = _dataDirectory, Listener = "127.0.0.1:0" };

    private static async Task CreateAndFillAsync(string bootstrap, string topic)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                ReplicationFactor = 1,
                Configs = new Dictionary<string, string> { ["segment.bytes"] = SegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }]);
        }

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            LingerMs = 5,
            BatchNumMessages = 100, // many batches, so that one broken batch is a small part of its segment
        }).Build();
        var failed = 0;
        for (var i = 0; i < Records; i++)
        {
            producer.Produce(topic, new Message<Null, string> { Value = $"record-{i:D6}-{new string('x', 60)}" }, r =>
            {
                if (r.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
            });
        }

        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(0, failed);
    }

    // The issue's damage: one malformed batch header in the middle of the first segment, and a time index that does not
    // load (so recovery walks the whole segment to rebuild it, where it meets the broken header).
    private (long BaseOffset, long LastOffset) BreakMiddleBatchOfFirstSegment(string topic)
    {
        var directory = Path.Combine(_dataDirectory, topic + "-0");
        var segments = Directory.GetFiles(directory, "*.log").Order().ToList();
        Assert.True(segments.Count >= 3, $"Expected several segments, found {segments.Count}.");
        var bytes = File.ReadAllBytes(segments[0]);
        var batches = new List<(int Position, RecordBatchHeader Header)>();
        for (var at = 0; at + RecordBatchHeader.Size <= bytes.Length;)
        {
            RecordBatchHeader.TryRead(bytes.AsSpan(at), out var header);
            batches.Add((at, header));
            at += header.TotalSize;
        }

        var (position, victim) = batches[batches.Count / 2];
        bytes[position + RecordBatchHeader.MagicOffset] = 0x7f;                        // not magic 2
        BitConverter.TryWriteBytes(bytes.AsSpan(position + RecordBatchHeader.BatchLengthOffset), 0x0BAD_F00D); // a length past the file
        File.WriteAllBytes(segments[0], bytes);
        File.AppendAllText(Path.ChangeExtension(segments[0], ".timeindex"), "junk!");
        return (victim.BaseOffset, victim.LastOffset);
    }

    private static void AssertEverythingButTheDamagedBatchIsServed(string bootstrap, string topic, (long BaseOffset, long LastOffset) damaged)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "corrupt-check",
            EnableAutoCommit = false,
            FetchErrorBackoffMs = 50,
        }).Build();
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value;
        Assert.Equal(Records, end);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));

        var offsets = new HashSet<long>();
        long? refusedAt = null;
        var deadline = DateTime.UtcNow + Timeout;
        while (offsets.Count < Records - (damaged.LastOffset - damaged.BaseOffset + 1) && DateTime.UtcNow < deadline)
        {
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
                {
                    Assert.Equal($"record-{record.Offset.Value:D6}-{new string('x', 60)}", record.Message.Value);
                    offsets.Add(record.Offset.Value);
                }
            }
            catch (ConsumeException ex) when (ex.Error.Code == ErrorCode.InvalidMsg)
            {
                // CORRUPT_MESSAGE at the damaged batch: what an application sees; it seeks past the damaged range.
                refusedAt = ex.ConsumerRecord?.Offset.Value ?? refusedAt ?? damaged.BaseOffset;
                consumer.Seek(new TopicPartitionOffset(topic, 0, damaged.LastOffset + 1));
            }
        }

        Assert.Equal(damaged.BaseOffset, refusedAt);
        var expected = Enumerable.Range(0, Records).Select(i => (long)i).Where(o => o < damaged.BaseOffset || o > damaged.LastOffset).ToList();
        var missing = expected.Where(o => !offsets.Contains(o)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"{expected.Count - offsets.Count} undamaged records lost, e.g. offsets {string.Join(", ", missing)}.");
    }
}
