using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Storage;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>A broker on a manual clock: advancing it runs the retention pass synchronously.</summary>
public sealed class ManualClockBrokerFixture : BrokerFixture
{
    internal FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected override BrokerOptions Configure(BrokerOptions options) => options with
    {
        TimeProvider = Time,
        RetentionCheckInterval = TimeSpan.FromMinutes(1),
    };
}

/// <summary>
/// Retention by time and size applies only when <c>cleanup.policy</c> contains <c>delete</c>: a <c>compact</c>-only
/// topic keeps every key however old (issue 12: 200 unique keys 8 days old were cut to 8), <c>compact,delete</c> deletes
/// like <c>delete</c>, as in Kafka.
/// </summary>
public sealed class CleanupPolicyRetentionTests(ManualClockBrokerFixture fixture) : IClassFixture<ManualClockBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task CompactTopic_RecordsOlderThanRetention_AreNotDeleted()
    {
        var compact = await CreateAndFillAsync("compact");
        var control = await CreateAndFillAsync("delete");

        fixture.Time.Advance(TimeSpan.FromDays(8));

        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        Assert.True(consumer.QueryWatermarkOffsets(control, Timeout).Low.Value > 0, "The retention pass should have trimmed the delete-policy topic.");
        Assert.Equal(0, consumer.QueryWatermarkOffsets(compact, Timeout).Low.Value);
        consumer.Assign(new TopicPartitionOffset(compact, 0));
        var keys = BrokerFixture.ConsumeCount(consumer, 200, Timeout).Select(r => r.Message.Key).ToHashSet();
        Assert.Equal(200, keys.Count);
    }

    [Fact]
    public async Task CompactDeleteTopic_RecordsOlderThanRetention_AreDeleted()
    {
        var partition = await CreateAndFillAsync("compact,delete");

        fixture.Time.Advance(TimeSpan.FromDays(8));

        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        var watermarks = consumer.QueryWatermarkOffsets(partition, Timeout);
        Assert.True(watermarks.Low.Value > 0, $"compact,delete should delete by time too; low watermark {watermarks.Low.Value}.");
        Assert.Equal(200, watermarks.High.Value);
    }

    [Fact]
    public async Task CompactTopic_LogLargerThanRetentionBytes_IsNotTrimmed()
    {
        var partition = await CreateAndFillAsync("compact", retentionBytes: 1024);

        fixture.Time.Advance(TimeSpan.FromMinutes(2));

        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(partition, Timeout).Low.Value);
    }

    [Fact]
    public async Task DeleteRecords_OnCompactOnlyTopic_PolicyViolation()
    {
        var partition = await CreateAndFillAsync("compact");
        using var admin = fixture.NewAdmin();

        var error = await Assert.ThrowsAsync<DeleteRecordsException>(() =>
            admin.DeleteRecordsAsync([new TopicPartitionOffset(partition, 100)]));

        Assert.Equal(ErrorCode.PolicyViolation, error.Results.Single().Error.Code);
        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(partition, Timeout).Low.Value);
    }

    // 200 unique keys, one batch each, in segments of about 1 KiB: many segments besides the active one.
    private async Task<TopicPartition> CreateAndFillAsync(string policy, long? retentionBytes = null)
    {
        var topic = BrokerFixture.NewTopic(policy.Replace(',', '-'));
        var configs = new Dictionary<string, string> { ["cleanup.policy"] = policy, ["segment.bytes"] = "1024" };
        if (retentionBytes is { } bytes)
        {
            configs["retention.bytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            configs["retention.ms"] = "-1"; // Size alone: the shared clock may already be days ahead of the producer's.
        }

        await fixture.CreateTopicAsync(topic, 1, configs);
        var partition = new TopicPartition(topic, 0);
        var config = fixture.ProducerConfig();
        config.LingerMs = 0;
        using var producer = new ProducerBuilder<string, string>(config).Build();
        for (var i = 0; i < 200; i++)
        {
            await producer.ProduceAsync(partition, new Message<string, string> { Key = $"key-{i}", Value = $"value-{i}" }, TestContext.Current.CancellationToken);
        }

        return partition;
    }
}
