using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class AdminClientTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CreateTopicsAsync_ValidateOnly_TopicNotCreated()
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }], new CreateTopicsOptions { ValidateOnly = true });
        Assert.DoesNotContain(admin.GetMetadata(Timeout).Topics, t => t.Topic == topic);
    }

    [Fact]
    public async Task CreateTopicsAsync_ThenDeleteTopicsAsync_TopicAppearsThenDisappears()
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }]);
        var created = Assert.Single(admin.GetMetadata(Timeout).Topics, t => t.Topic == topic);
        Assert.Equal(2, created.Partitions.Count);

        await admin.DeleteTopicsAsync([topic]);
        Assert.DoesNotContain(admin.GetMetadata(Timeout).Topics, t => t.Topic == topic);
    }

    [Fact]
    public async Task CreateTopicsAsync_ExistingTopic_TopicAlreadyExists()
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        var error = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]));
        Assert.Equal(ErrorCode.TopicAlreadyExists, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task CreatePartitionsAsync_ThreeToFive_MetadataShowsFiveAndNewPartitionsAcceptRecords()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 3);
        using var admin = fixture.NewAdmin();
        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 5 }]);
        var metadata = admin.GetMetadata(topic, Timeout);
        Assert.Equal(5, Assert.Single(metadata.Topics).Partitions.Count);

        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        var result = await producer.ProduceAsync(new TopicPartition(topic, 4), new Message<Null, string> { Value = "in p4" }, TestContext.Current.CancellationToken);
        Assert.Equal(0, result.Offset.Value);
    }

    [Fact]
    public async Task IncrementalAlterConfigsAsync_SetRetentionMs_DescribeConfigsShowsNewValue()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var admin = fixture.NewAdmin();
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };

        var before = Assert.Single(await admin.DescribeConfigsAsync([resource]));
        Assert.True(before.Entries.ContainsKey("retention.ms"));
        Assert.NotEqual("123456", before.Entries["retention.ms"].Value);

        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "retention.ms", Value = "123456", IncrementalOperation = AlterConfigOpType.Set }],
        });

        var after = Assert.Single(await admin.DescribeConfigsAsync([resource]));
        Assert.Equal("123456", after.Entries["retention.ms"].Value);
        Assert.False(after.Entries["retention.ms"].IsDefault);
    }

    [Fact]
    public async Task AlterConfigsAsync_SetRetentionMs_DescribeConfigsShowsNewValue()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var admin = fixture.NewAdmin();
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };
#pragma warning disable CS0618 // AlterConfigs is deprecated in favour of IncrementalAlterConfigs, but brokers still serve it.
        await admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "retention.ms", Value = "654321" }],
        });
#pragma warning restore CS0618

        var after = Assert.Single(await admin.DescribeConfigsAsync([resource]));
        Assert.Equal("654321", after.Entries["retention.ms"].Value);
        Assert.False(after.Entries["retention.ms"].IsDefault);
    }

    [Fact]
    public async Task DeleteRecordsAsync_BeforeOffsetFour_LowWatermarkMovesToFour()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(partition, new Message<Null, string> { Value = $"v{i}" }, TestContext.Current.CancellationToken);
            }
        }

        using var admin = fixture.NewAdmin();
        var deleted = Assert.Single(await admin.DeleteRecordsAsync([new TopicPartitionOffset(partition, 4)]));
        Assert.Equal(4, deleted.Offset.Value);

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        var watermarks = consumer.QueryWatermarkOffsets(partition, Timeout);
        Assert.Equal(4, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);

        consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        var first = BrokerFixture.ConsumeCount(consumer, 1, Timeout)[0];
        Assert.Equal(4, first.Offset.Value);
        Assert.Equal("v4", first.Message.Value);
    }

    [Fact]
    public async Task OffsetsForTimes_TimestampOfFifthRecord_ReturnsItsOffset()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        var baseTime = new DateTime(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(partition, new Message<Null, string> { Value = $"v{i}", Timestamp = new Timestamp(baseTime.AddMinutes(i)) }, TestContext.Current.CancellationToken);
            }
        }

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        var exact = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(baseTime.AddMinutes(5)))], Timeout);
        Assert.Equal(5, Assert.Single(exact).Offset.Value);

        var between = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(baseTime.AddMinutes(6).AddSeconds(30)))], Timeout);
        Assert.Equal(7, Assert.Single(between).Offset.Value);

        var after = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(baseTime.AddHours(1)))], Timeout);
        Assert.Equal(Offset.End.Value, Assert.Single(after).Offset.Value);
    }
}
