using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// ListOffsets as Kafka answers it: a write is visible to "latest" as soon as it is acknowledged (durable mode
/// included), and timestamp lookups name the record, not its batch.
/// </summary>
public sealed class ListOffsetsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTime BaseTime = new(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task QueryWatermarkOffsets_RightAfterAcksOneProduce_ReturnsTheNewEnd()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);

        // A disk whose fsync takes 200 ms: an acks=1 write is acknowledged before it is durable, and the query below
        // reaches the broker while that fsync runs (it used to answer the durable end, the offset before the write).
        fixture.Broker.Partition(topic, 0).BeforeGroupCommitFsync = () => Thread.Sleep(200);
        var config = fixture.ProducerConfig();
        config.Acks = Acks.Leader;
        config.LingerMs = 0;
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(partition, Timeout).High.Value);

        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 5; i++)
        {
            var delivered = await producer.ProduceAsync(partition, new Message<Null, string> { Value = $"v{i}" }, TestContext.Current.CancellationToken);
            var watch = Stopwatch.StartNew();
            var high = consumer.QueryWatermarkOffsets(partition, Timeout).High.Value;
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            Assert.Equal(delivered.Offset.Value + 1, high);
        }

        // The query waits for the fsync in flight and at most one more (200 ms each here), not for an interval.
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"The slowest watermark query took {slowest.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task OffsetsForTimes_TimestampInsideABatch_ReturnsTheRecordNotTheBatch()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        await ProduceOneBatchAsync(partition, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        var exact = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(BaseTime.AddMinutes(5)))], Timeout);
        Assert.Equal(5, Assert.Single(exact).Offset.Value);

        var between = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(BaseTime.AddMinutes(6).AddSeconds(30)))], Timeout);
        Assert.Equal(7, Assert.Single(between).Offset.Value);

        var after = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(BaseTime.AddHours(1)))], Timeout);
        Assert.Equal(Offset.End.Value, Assert.Single(after).Offset.Value);
    }

    [Fact]
    public async Task ListOffsetsAsync_ForTimestamp_AnswersTheRecordsOwnTimestamp()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        await ProduceOneBatchAsync(partition, [0, 2, 4, 6]);

        using var admin = fixture.NewAdmin();
        var result = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = partition, OffsetSpec = OffsetSpec.ForTimestamp(Millis(3)) }]);
        var info = Assert.Single(result.ResultInfos);
        Assert.Equal(2, info.TopicPartitionOffsetError.Offset.Value);
        Assert.Equal(Millis(4), info.Timestamp);
    }

    [Fact]
    public async Task ListOffsetsAsync_MaxTimestamp_ReturnsTheRecordWithTheLargestTimestamp()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        using var admin = fixture.NewAdmin();
        var empty = Assert.Single((await admin.ListOffsetsAsync([MaxTimestampOf(partition)])).ResultInfos);
        Assert.Equal(-1, empty.TopicPartitionOffsetError.Offset.Value);

        // Offsets 0-2 in one batch, 3-5 in another: the largest timestamp (50 min) is record 1, inside the first batch.
        await ProduceOneBatchAsync(partition, [10, 50, 20]);
        await ProduceOneBatchAsync(partition, [30, 50, 40]);

        var info = Assert.Single((await admin.ListOffsetsAsync([MaxTimestampOf(partition)])).ResultInfos);
        Assert.Equal(ErrorCode.NoError, info.TopicPartitionOffsetError.Error.Code);
        Assert.Equal(1, info.TopicPartitionOffsetError.Offset.Value);
        Assert.Equal(Millis(50), info.Timestamp);
    }

    private static TopicPartitionOffsetSpec MaxTimestampOf(TopicPartition partition) =>
        new() { TopicPartition = partition, OffsetSpec = OffsetSpec.MaxTimestamp() };

    private static long Millis(int minutes) => new DateTimeOffset(BaseTime.AddMinutes(minutes)).ToUnixTimeMilliseconds();

    // One produce request, one batch: linger long enough that every record joins it, then flush.
    private async Task ProduceOneBatchAsync(TopicPartition partition, int[] minutes)
    {
        var config = fixture.ProducerConfig();
        config.LingerMs = 1000;
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        var sends = minutes.Select(m => producer.ProduceAsync(partition,
            new Message<Null, string> { Value = $"at {m}", Timestamp = new Timestamp(BaseTime.AddMinutes(m)) }, TestContext.Current.CancellationToken)).ToList();
        producer.Flush(Timeout);
        var offsets = (await Task.WhenAll(sends)).Select(r => r.Offset.Value).ToList();
        Assert.Equal(Enumerable.Range((int)offsets[0], minutes.Length).Select(o => (long)o), offsets);
    }
}
