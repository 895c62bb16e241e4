using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// Topic configs with values Kafka's <c>LogConfig</c> refuses, through Confluent's admin client on every path that sets
/// them (CreateTopics, AlterConfigs, IncrementalAlterConfigs): INVALID_CONFIG with Kafka's message naming the config,
/// and nothing created or changed. The values Kafka accepts at the edge of each range are accepted.
/// </summary>
public sealed class TopicConfigValidationTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    /// <summary>Config, refused value, the end of Kafka's message.</summary>
    public static TheoryData<string, string, string> Refused => new()
    {
        { "retention.ms", "-7", "Value must be at least -1" },
        { "retention.ms", "forever", "Not a number of type LONG" },
        { "retention.bytes", "lots", "Not a number of type LONG" },
        { "segment.bytes", "13", "Value must be at least 14" },
        { "segment.ms", "0", "Value must be at least 1" },
        { "cleanup.policy", "compact,forever", "String must be one of: compact, delete" },
        { "min.compaction.lag.ms", "-1", "Value must be at least 0" },
        { "max.compaction.lag.ms", "0", "Value must be at least 1" },
        { "delete.retention.ms", "-1", "Value must be at least 0" },
        { "min.cleanable.dirty.ratio", "1.5", "Value must be no more than 1" },
        { "max.message.bytes", "-1", "Value must be at least 0" },
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task CreateTopicsAsync_InvalidValue_InvalidConfigAndNoTopic(string name, string value, string message)
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();

        var refused = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = new() { [name] = value } }]));

        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.Equal($"Invalid value {value} for configuration {name}: {message}", error.Reason);
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task IncrementalAlterConfigsAsync_InvalidValue_InvalidConfigAndUnchanged(string name, string value, string message)
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1, null);
        using var admin = fixture.NewAdmin();
        var before = await DescribeAsync(admin, topic, name);

        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [Resource(topic)] = [new ConfigEntry { Name = name, Value = value, IncrementalOperation = AlterConfigOpType.Set }],
        }));

        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.EndsWith($"Invalid value {value} for configuration {name}: {message}", error.Reason);
        Assert.Equal(before, await DescribeAsync(admin, topic, name));
    }

    [Fact]
    public async Task AlterConfigsAsync_RetentionBelowMinusOne_InvalidConfigAndUnchanged()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1, new Dictionary<string, string> { ["retention.ms"] = "60000" });
        using var admin = fixture.NewAdmin();

#pragma warning disable CS0618 // AlterConfigs (the whole set) is what older tools send.
        var refused = await Assert.ThrowsAsync<AlterConfigsException>(() => admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [Resource(topic)] = [new ConfigEntry { Name = "retention.ms", Value = "-7" }],
        }));
#pragma warning restore CS0618

        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.EndsWith("Invalid value -7 for configuration retention.ms: Value must be at least -1", error.Reason);
        Assert.Equal("60000", await DescribeAsync(admin, topic, "retention.ms"));
    }

    [Theory]
    [InlineData("retention.ms", "-1")]
    [InlineData("retention.ms", "0")]
    [InlineData("retention.bytes", "-1")]
    [InlineData("retention.bytes", "-9")] // Kafka's retention.bytes has no lower bound: any negative means no limit.
    [InlineData("segment.bytes", "14")]
    [InlineData("min.compaction.lag.ms", "0")]
    [InlineData("cleanup.policy", "delete,compact")]
    [InlineData("min.cleanable.dirty.ratio", "1")]
    public async Task CreateTopicsAsync_ValueAtTheEdgeKafkaAccepts_IsAccepted(string name, string value)
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();

        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = new() { [name] = value } }]);

        Assert.Equal(value, await DescribeAsync(admin, topic, name));
    }

    private static ConfigResource Resource(string topic) => new() { Type = ResourceType.Topic, Name = topic };

    private static async Task<string> DescribeAsync(IAdminClient admin, string topic, string name) =>
        Assert.Single(await admin.DescribeConfigsAsync([Resource(topic)])).Entries[name].Value;
}
