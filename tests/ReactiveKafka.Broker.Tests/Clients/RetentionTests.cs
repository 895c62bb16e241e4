using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>A broker whose partitions keep only a couple of small segments, checked every 200 ms.</summary>
public sealed class RetentionBrokerFixture : BrokerFixture
{
    protected override BrokerOptions Configure(BrokerOptions options) => options with
    {
        SegmentBytes = 16384,
        RetentionBytes = 16384,
        RetentionCheckInterval = TimeSpan.FromMilliseconds(200),
    };
}

public sealed class RetentionTests(RetentionBrokerFixture fixture) : IClassFixture<RetentionBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RetentionBytes_ExceededBySegments_LogStartOffsetAdvances()
    {
        var (partition, low) = await ProduceUntilTrimmedAsync();
        Assert.True(low > 0);
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        Assert.Equal(200, consumer.QueryWatermarkOffsets(partition, Timeout).High.Value);
    }

    [Fact]
    public async Task Consume_AssignedBelowLogStartWithEarliest_ResetToLogStart()
    {
        var (partition, low) = await ProduceUntilTrimmedAsync();
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(partition, 0));
        var first = BrokerFixture.ConsumeCount(consumer, 1, Timeout)[0];
        Assert.True(first.Offset.Value >= low, $"First record at {first.Offset.Value}, log start was {low}.");
        Assert.Equal($"v{first.Offset.Value}", first.Message.Value[..first.Message.Value.IndexOf('|')]);
    }

    [Fact]
    public async Task Consume_AssignedBelowLogStartWithResetError_OffsetOutOfRangeError()
    {
        var (partition, _) = await ProduceUntilTrimmedAsync();
        var config = fixture.ConsumerConfig();
        config.AutoOffsetReset = AutoOffsetReset.Error;
        var errors = new List<Error>();
        using var consumer = new ConsumerBuilder<Null, string>(config).SetErrorHandler((_, e) => { lock (errors) { errors.Add(e); } }).Build();
        consumer.Assign(new TopicPartitionOffset(partition, 0));
        var deadline = DateTime.UtcNow + Timeout;
        ConsumeResult<Null, string>? delivered = null;
        while (DateTime.UtcNow < deadline && delivered is null)
        {
            try
            {
                delivered = consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException ex)
            {
                lock (errors)
                {
                    errors.Add(ex.Error);
                }
            }

            lock (errors)
            {
                if (errors.Any(IsOutOfRange))
                {
                    break;
                }
            }
        }

        Assert.Null(delivered);
        lock (errors)
        {
            Assert.Contains(errors, IsOutOfRange);
        }

        static bool IsOutOfRange(Error e) => e.Code is ErrorCode.Local_AutoOffsetReset or ErrorCode.OffsetOutOfRange;
    }

    private async Task<(TopicPartition Partition, long Low)> ProduceUntilTrimmedAsync()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        var config = fixture.ProducerConfig();
        config.BatchSize = 2048;
        config.LingerMs = 0;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var padding = new string('r', 1000);
            var tasks = Enumerable.Range(0, 200).Select(i =>
                producer.ProduceAsync(partition, new Message<Null, string> { Value = $"v{i}|{padding}" }, TestContext.Current.CancellationToken));
            await Task.WhenAll(tasks);
        }

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        long low = 0;
        await BrokerFixture.WaitUntilAsync(
            () => (low = consumer.QueryWatermarkOffsets(partition, Timeout).Low.Value) > 0,
            TimeSpan.FromSeconds(10),
            "retention to delete old segments (low watermark > 0)");
        return (partition, low);
    }
}
