using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Cleaning;
using ReactiveKafka.Broker.Tests.Storage;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// A broker on a manual clock for compaction: advancing it rolls segments (<c>segment.ms</c>) at the next produce,
/// ages tombstones past <c>delete.retention.ms</c>; the cleaner sleeps until a test wakes it. Time-based behaviour needs
/// no real waits.
/// </summary>
public sealed class CompactionBrokerFixture : BrokerFixture
{
    internal FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected override BrokerOptions Configure(BrokerOptions options) => options with
    {
        TimeProvider = Time,
        // Asleep until a test wakes it (WaitForCleanAsync), not whenever the clock is advanced: each clean is deliberate.
        CleanerBackoff = TimeSpan.FromDays(3650),
        RetentionCheckInterval = TimeSpan.FromDays(365),
    };

    internal PartitionLog Log(string topic) => Broker.Topics.GetPartition(topic, 0)!;

    /// <summary>Wakes the cleaner until it has cleaned <paramref name="topic"/> up to <paramref name="offset"/>.</summary>
    internal async Task WaitForCleanAsync(string topic, long offset)
    {
        var log = Log(topic);
        await WaitUntilAsync(() =>
        {
            Broker.Topics.Cleaner!.Wake();
            return CleanerCheckpoint.Read(log.Directory) >= offset;
        }, TimeSpan.FromSeconds(60), $"the cleaner to clean {topic} up to offset {offset}");
    }
}

/// <summary>Compacted topics through real clients: what a consumer reads back after the cleaner ran.</summary>
public sealed class CompactionTests(CompactionBrokerFixture fixture) : IClassFixture<CompactionBrokerFixture>
{
    private const string SegmentMs = "60000";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HundredThousandUpdatesOverThousandKeys_CompactToTheLatestValuePerKey_OffsetsUnchanged()
    {
        var topic = await CreateCompactedAsync(new() { ["segment.bytes"] = "262144" });
        var latest = new ConcurrentDictionary<string, (long Offset, string Value)>();
        var failures = 0;
        var config = fixture.ProducerConfig();
        config.LingerMs = 20;
        config.BatchSize = 128 * 1024; // Within segment.bytes.
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            for (var i = 0; i < 100_000; i++)
            {
                var (key, value) = ($"key-{i % 1000}", $"value-{i}");
                producer.Produce(topic, new Message<string, string> { Key = key, Value = value }, report =>
                {
                    if (report.Error.Code != ErrorCode.NoError)
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }

                    latest.AddOrUpdate(report.Message.Key, (report.Offset.Value, report.Message.Value),
                        (_, old) => report.Offset.Value > old.Offset ? (report.Offset.Value, report.Message.Value) : old);
                });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        Assert.Equal((0, 1000), (failures, latest.Count));
        var sentinel = await RollAsync(topic);
        await fixture.WaitForCleanAsync(topic, sentinel);

        // Watermarks first: on the manual clock a fetch that finds nothing waits until the clock moves, and the
        // responses of a connection come in request order.
        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        Assert.Equal(100_001, consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = BrokerFixture.ConsumeCount(consumer, 1001, Timeout);
        Assert.Equal(sentinel, records[^1].Offset.Value);
        var read = records.SkipLast(1).ToDictionary(r => r.Message.Key, r => (r.Offset.Value, r.Message.Value));
        Assert.Equal(1000, read.Count);
        Assert.All(latest, l => Assert.Equal(l.Value, read[l.Key]));
        Assert.True(fixture.Log(topic).Size < 1_000_000, $"The log is {fixture.Log(topic).Size} bytes after compaction.");
    }

    [Fact]
    public async Task Tombstones_ReadableAfterTheFirstClean_GoneAfterDeleteRetention()
    {
        var topic = await CreateCompactedAsync(new() { ["delete.retention.ms"] = "3600000", ["min.cleanable.dirty.ratio"] = "0.0001" });
        using var producer = new ProducerBuilder<string, string?>(fixture.ProducerConfig()).Build();
        for (var k = 0; k < 100; k++)
        {
            producer.Produce(topic, new Message<string, string?> { Key = $"key-{k}", Value = $"value-{k}" });
        }

        for (var k = 0; k < 50; k++)
        {
            producer.Produce(topic, new Message<string, string?> { Key = $"key-{k}", Value = null });
        }

        Assert.Equal(0, producer.Flush(Timeout));
        var first = await RollAsync(topic);
        await fixture.WaitForCleanAsync(topic, first);

        // A consumer that read a deleted key's value must still get to see its tombstone.
        var afterFirst = ReadAll(topic, first + 1);
        Assert.Equal(50, afterFirst.Count(r => r.Message.Value is null));
        Assert.Equal(50, afterFirst.Count(r => r.Message.Value is not null && r.Offset.Value < first));

        // Almost at the horizon: still there; past it, the next clean removes them.
        fixture.Time.Advance(TimeSpan.FromMinutes(57)); // With the roll's own minute: ~2 min before the horizon.
        var second = await RollAsync(topic);
        await fixture.WaitForCleanAsync(topic, second);
        Assert.Equal(50, ReadAll(topic, second + 1).Count(r => r.Message.Value is null));

        fixture.Time.Advance(TimeSpan.FromMinutes(2)); // With the roll's minute: ~1 min past it.
        var third = await RollAsync(topic);
        await fixture.WaitForCleanAsync(topic, third);
        var afterHorizon = ReadAll(topic, third + 1);
        Assert.DoesNotContain(afterHorizon, r => r.Message.Value is null);
        Assert.Equal(
            Enumerable.Range(50, 50).Select(k => $"key-{k}").Concat(["sentinel"]).Order(),
            afterHorizon.Select(r => r.Message.Key).Distinct().Order());
    }

    [Fact]
    public async Task ManySegmentsCleanedDownToEmptyBatches_ConsumerReadsThroughWithoutError()
    {
        // One key overwritten 30000 times in 16 KiB segments (~50): every cleaned segment keeps only an empty batch,
        // and librdkafka fails a partition after ~10 fetches that yield no record.
        var topic = await CreateCompactedAsync(new() { ["segment.bytes"] = "16384" });
        var config = fixture.ProducerConfig();
        config.BatchSize = 8192; // A produced batch must fit in a segment (RECORD_LIST_TOO_LARGE otherwise).
        var failed = 0;
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            for (var i = 0; i < 30_000; i++)
            {
                producer.Produce(topic, new Message<string, string> { Key = "same", Value = $"value-{i}" }, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        Assert.Equal(0, failed);

        var sentinel = await RollAsync(topic);
        await fixture.WaitForCleanAsync(topic, sentinel);

        Assert.True(fixture.Log(topic).SegmentCount > 30, $"{fixture.Log(topic).SegmentCount} segments: the clean should have left many.");
        var errors = new List<Error>();
        var consumerConfig = fixture.ConsumerConfig();
        using var consumer = new ConsumerBuilder<string, string>(consumerConfig).SetErrorHandler((_, e) => errors.Add(e)).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = BrokerFixture.ConsumeCount(consumer, 2, Timeout);

        Assert.Equal([("same", "value-29999", 29_999L), ("sentinel", "roll", sentinel)], records.Select(r => (r.Message.Key, r.Message.Value, r.Offset.Value)));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("compact")]
    [InlineData("compact,delete")]
    public async Task ProduceWithoutKey_CompactedTopic_InvalidRecord(string policy)
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1, new() { ["cleanup.policy"] = policy });
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();

        var error = await Assert.ThrowsAsync<ProduceException<Null, string>>(() =>
            producer.ProduceAsync(topic, new Message<Null, string> { Value = "no key" }, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.InvalidRecord, error.Error.Code);
        Assert.Equal(0, fixture.Log(topic).LogEndOffset);
    }

    [Fact]
    public async Task CompactionConfigs_CreateDescribeAlterAndIncrementalAlter()
    {
        var topic = await CreateCompactedAsync(new() { ["min.compaction.lag.ms"] = "1000", ["delete.retention.ms"] = "5000" });
        using var admin = fixture.NewAdmin();
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };

        var described = (await admin.DescribeConfigsAsync([resource])).Single().Entries;
        Assert.Equal("compact", described["cleanup.policy"].Value);
        Assert.Equal("1000", described["min.compaction.lag.ms"].Value);
        Assert.Equal("5000", described["delete.retention.ms"].Value);
        Assert.Equal("0.01", described["min.cleanable.dirty.ratio"].Value);
        Assert.Equal("9223372036854775807", described["max.compaction.lag.ms"].Value);
        Assert.True(described["max.compaction.lag.ms"].IsDefault);
        Assert.Equal(1000, fixture.Log(topic).Config.MinCompactionLagMs);

        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "cleanup.policy", Value = "delete", IncrementalOperation = AlterConfigOpType.Append }],
        });
        Assert.Equal("compact,delete", (await admin.DescribeConfigsAsync([resource])).Single().Entries["cleanup.policy"].Value);
        Assert.True(fixture.Log(topic).Config.Delete);

        var invalid = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "min.cleanable.dirty.ratio", Value = "1.5", IncrementalOperation = AlterConfigOpType.Set }],
        }));
        Assert.Equal(ErrorCode.InvalidConfig, invalid.Results.Single().Error.Code);

        var conflict = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "max.compaction.lag.ms", Value = "500", IncrementalOperation = AlterConfigOpType.Set }],
        }));
        Assert.Equal(ErrorCode.InvalidConfig, conflict.Results.Single().Error.Code);
        Assert.Contains("min.compaction.lag.ms (1000) > max.compaction.lag.ms (500)", conflict.Results.Single().Error.Reason);

#pragma warning disable CS0618 // AlterConfigs (the whole set) is what older tools send.
        await admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "cleanup.policy", Value = "delete" }],
        });
#pragma warning restore CS0618
        Assert.False(fixture.Log(topic).Config.Compact);
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "keyless is fine now" }, TestContext.Current.CancellationToken);
    }

    private async Task<string> CreateCompactedAsync(Dictionary<string, string> configs)
    {
        var topic = BrokerFixture.NewTopic("compacted");
        configs["cleanup.policy"] = "compact";
        configs["segment.ms"] = SegmentMs;
        configs.TryAdd("min.cleanable.dirty.ratio", "0.01");
        await fixture.CreateTopicAsync(topic, 1, configs);
        return topic;
    }

    // Ages the active segment past segment.ms and produces a sentinel, which rolls it: everything before is cleanable.
    private async Task<long> RollAsync(string topic)
    {
        fixture.Time.Advance(TimeSpan.FromMilliseconds(long.Parse(SegmentMs, System.Globalization.CultureInfo.InvariantCulture) + 1));
        using var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build();
        var sentinel = await producer.ProduceAsync(topic, new Message<string, string> { Key = "sentinel", Value = "roll" }, TestContext.Current.CancellationToken);
        var log = fixture.Log(topic);
        Assert.Equal(sentinel.Offset.Value, KeyedBaseOfActive(log));
        return sentinel.Offset.Value;
    }

    private static long KeyedBaseOfActive(PartitionLog log)
    {
        using var view = log.AcquireForCleaning();
        return view.Segments[^1].BaseOffset;
    }

    private List<ConsumeResult<string, string?>> ReadAll(string topic, long atMost)
    {
        using var consumer = new ConsumerBuilder<string, string?>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value;
        var results = new List<ConsumeResult<string, string?>>();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline && (results.Count == 0 || results[^1].Offset.Value < end - 1))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        Assert.True(results.Count > 0 && results[^1].Offset.Value == end - 1, $"Read {results.Count} records, not up to offset {end - 1}.");
        Assert.True(results.Count <= atMost, $"Read {results.Count} records, expected at most {atMost}.");
        return results;
    }
}
