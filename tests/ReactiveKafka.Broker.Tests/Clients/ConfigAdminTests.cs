using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Protocol.Messages;
using ErrorCode = Confluent.Kafka.ErrorCode;
using WireError = ReactiveKafka.Protocol.ErrorCode;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>A broker with node id 0, the id Kafka's quickstart and most tools assume.</summary>
public sealed class NodeZeroBrokerFixture : BrokerFixture
{
    protected override BrokerOptions Configure(BrokerOptions options) => options with { NodeId = 0 };
}

/// <summary>
/// The config and topic admin answers compared with Kafka's (ConfigHelper, ConfigurationControlManager,
/// ReplicationControlManager), through Confluent's admin client, and raw frames where it cannot ask.
/// </summary>
public sealed class ConfigAdminTests(NodeZeroBrokerFixture fixture) : IClassFixture<NodeZeroBrokerFixture>
{
    // Kafka 3.9's topic configs (LogConfig.configNames()).
    private static readonly string[] KafkaTopicConfigs =
    [
        "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type", "compression.zstd.level",
        "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms", "follower.replication.throttled.replicas",
        "index.interval.bytes", "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
        "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable", "message.format.version",
        "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.difference.max.ms",
        "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
        "remote.log.copy.disable", "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes", "retention.ms",
        "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable",
    ];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DescribeConfigsAsync_TopicWithoutNames_ListsEveryKafkaTopicConfig()
    {
        var topic = await NewTopicAsync();
        using var admin = fixture.NewAdmin();
        var described = Assert.Single(await admin.DescribeConfigsAsync([TopicResource(topic)]));
        Assert.Equal(KafkaTopicConfigs, described.Entries.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DescribeConfigsAsync_Synonyms_NameWhereEachValueComesFrom()
    {
        var topic = await NewTopicAsync(new() { ["retention.ms"] = "3600000" });
        using var admin = fixture.NewAdmin();
        var entries = Assert.Single(await admin.DescribeConfigsAsync([TopicResource(topic)])).Entries;

        // Set on the topic: that first, then nothing below it (log.retention.ms has no default in Kafka).
        var retention = entries["retention.ms"];
        Assert.Equal(("3600000", ConfigSource.DynamicTopicConfig, false), (retention.Value, retention.Source, retention.IsDefault));
        Assert.Equal([("retention.ms", "3600000", ConfigSource.DynamicTopicConfig)], Synonyms(retention));

        // Kafka's default, through its broker config.
        var segment = entries["segment.bytes"];
        Assert.Equal((ConfigSource.DefaultConfig, true), (segment.Source, segment.IsDefault));
        Assert.Equal([("log.segment.bytes", "1073741824", ConfigSource.DefaultConfig)], Synonyms(segment));

        // The durable flush policy is this broker's static config: log.flush.interval.messages=1 over Kafka's default.
        var flush = entries["flush.messages"];
        Assert.Equal(("1", ConfigSource.StaticBrokerConfig, false), (flush.Value, flush.Source, flush.IsDefault));
        Assert.Equal(
            [("log.flush.interval.messages", "1", ConfigSource.StaticBrokerConfig), ("log.flush.interval.messages", "9223372036854775807", ConfigSource.DefaultConfig)],
            Synonyms(flush));
    }

    [Fact]
    public async Task DescribeConfigsAsync_BrokerByNodeId_AnswersKafkasBrokerConfigNames()
    {
        using var admin = fixture.NewAdmin();
        var described = Assert.Single(await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "0" }]));
        var entries = described.Entries;
        Assert.Equal(("0", ConfigSource.StaticBrokerConfig), (entries["broker.id"].Value, entries["broker.id"].Source));
        Assert.Equal(fixture.DataDirectory, entries["log.dirs"].Value);
        Assert.Equal(("168", ConfigSource.DefaultConfig), (entries["log.retention.hours"].Value, entries["log.retention.hours"].Source));
        Assert.Equal("1073741824", entries["log.segment.bytes"].Value);
        Assert.Equal("1048588", entries["message.max.bytes"].Value);
        Assert.Equal(("1", ConfigSource.StaticBrokerConfig), (entries["log.flush.interval.messages"].Value, entries["log.flush.interval.messages"].Source));
        Assert.All(entries.Values, e => Assert.True(e.IsReadOnly, $"{e.Name} cannot be changed at run time here."));
    }

    [Fact]
    public async Task DescribeConfigs_OtherBrokerId_IsRefusedAsKafkaDoes()
    {
        var response = await DescribeRawAsync(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = 4, ResourceName = "7" });
        var result = Assert.Single(response.Results);
        Assert.Equal((short)WireError.InvalidRequest, result.ErrorCode);
        Assert.Equal("Unexpected broker id, expected 0 or empty string, but received 7", result.ErrorMessage);
    }

    [Fact]
    public async Task DescribeConfigs_V4_ErrorMessageNullOnSuccess_DocumentationAndTypesWhenAsked()
    {
        var topic = await NewTopicAsync();
        var resource = new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = 2, ResourceName = topic, ConfigurationKeys = null };
        var plain = Assert.Single((await DescribeRawAsync(resource)).Results);
        Assert.Equal((short)WireError.None, plain.ErrorCode);
        Assert.Null(plain.ErrorMessage);
        Assert.Equal(KafkaTopicConfigs.Length, plain.Configs.Count);
        Assert.All(plain.Configs, c => Assert.Null(c.Documentation));
        Assert.All(plain.Configs, c => Assert.Empty(c.Synonyms));

        var documented = Assert.Single((await DescribeRawAsync(resource, documentation: true)).Results);
        Assert.All(documented.Configs, c => Assert.False(string.IsNullOrWhiteSpace(c.Documentation), $"{c.Name} has no documentation."));
        var types = documented.Configs.ToDictionary(c => c.Name, c => c.ConfigType);
        Assert.Equal((5, 7, 3, 1, 6, 2), (types["retention.ms"], types["cleanup.policy"], types["segment.bytes"], types["preallocate"],
            types["min.cleanable.dirty.ratio"], types["message.timestamp.type"])); // LONG, LIST, INT, BOOLEAN, DOUBLE, STRING
    }

    [Fact]
    public async Task DescribeConfigs_UnknownTopic_UnknownTopicOrPartitionWithoutMessage()
    {
        var result = Assert.Single((await DescribeRawAsync(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = 2, ResourceName = BrokerFixture.NewTopic() })).Results);
        Assert.Equal(((short)WireError.UnknownTopicOrPartition, (string?)null), (result.ErrorCode, result.ErrorMessage));
    }

    [Fact]
    public async Task IncrementalAlterConfigsAsync_ValidateOnly_ChangesNothing()
    {
        var topic = await NewTopicAsync();
        using var admin = fixture.NewAdmin();
        await admin.IncrementalAlterConfigsAsync(Changes(topic, ("retention.ms", "1234", AlterConfigOpType.Set), ("cleanup.policy", "compact", AlterConfigOpType.Append)),
            new IncrementalAlterConfigsOptions { ValidateOnly = true });

        var entries = Assert.Single(await admin.DescribeConfigsAsync([TopicResource(topic)])).Entries;
        Assert.Equal(("604800000", ConfigSource.DefaultConfig), (entries["retention.ms"].Value, entries["retention.ms"].Source));
        Assert.Equal("delete", entries["cleanup.policy"].Value);
    }

    [Fact]
    public async Task IncrementalAlterConfigsAsync_AppendAndSubtract_OnlyOnListConfigs()
    {
        var topic = await NewTopicAsync();
        using var admin = fixture.NewAdmin();

        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() =>
            admin.IncrementalAlterConfigsAsync(Changes(topic, ("retention.ms", "1000", AlterConfigOpType.Append))));
        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.Contains("Can't APPEND to key retention.ms because its type is not LIST.", error.Reason);

        // From Kafka's default "delete": append compact, then subtract delete.
        await admin.IncrementalAlterConfigsAsync(Changes(topic, ("cleanup.policy", "compact", AlterConfigOpType.Append)));
        Assert.Equal("delete,compact", Assert.Single(await admin.DescribeConfigsAsync([TopicResource(topic)])).Entries["cleanup.policy"].Value);
        await admin.IncrementalAlterConfigsAsync(Changes(topic, ("cleanup.policy", "delete", AlterConfigOpType.Subtract)));
        Assert.Equal("compact", Assert.Single(await admin.DescribeConfigsAsync([TopicResource(topic)])).Entries["cleanup.policy"].Value);
    }

    [Theory]
    [InlineData("no.such.config", "1", "Unknown topic config name: no.such.config")]
    [InlineData("retention.ms", "soon", "Invalid value soon for configuration retention.ms: Not a number of type LONG")]
    [InlineData("segment.bytes", "10", "Invalid value 10 for configuration segment.bytes: Value must be at least 14")]
    [InlineData("message.timestamp.type", "Now", "Invalid value Now for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime")]
    public async Task IncrementalAlterConfigsAsync_BadEntry_InvalidConfigWithKafkasMessage(string name, string value, string message)
    {
        var topic = await NewTopicAsync();
        using var admin = fixture.NewAdmin();
        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() =>
            admin.IncrementalAlterConfigsAsync(Changes(topic, (name, value, AlterConfigOpType.Set))));
        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.Contains(message, error.Reason);
        Assert.EndsWith(message, error.Reason);
    }

    [Fact]
    public async Task CreateTopicsAsync_AssignmentNamingAMissingBroker_InvalidReplicaAssignment()
    {
        var topic = BrokerFixture.NewTopic();
        using var admin = fixture.NewAdmin();
        var refused = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = 2, ReplicasAssignments = new() { [0] = [0], [1] = [5] } }]));
        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, error.Code);
        Assert.Contains("The manual partition assignment includes broker 5, but no such broker is registered.", error.Reason);
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2, ReplicasAssignments = new() { [0] = [0], [1] = [0] } }]);
        Assert.Equal(2, Assert.Single(admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics).Partitions.Count);
    }

    [Fact]
    public async Task CreatePartitionsAsync_AssignmentNamingAMissingBroker_InvalidReplicaAssignment()
    {
        var topic = await NewTopicAsync();
        using var admin = fixture.NewAdmin();
        var refused = await Assert.ThrowsAsync<CreatePartitionsException>(() => admin.CreatePartitionsAsync(
            [new PartitionsSpecification { Topic = topic, IncreaseTo = 3, ReplicaAssignments = [[0], [3]] }]));
        var error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, error.Code);
        Assert.Contains("The manual partition assignment includes broker 3, but no such broker is registered.", error.Reason);
        Assert.Single(Assert.Single(admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics).Partitions);

        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 3, ReplicaAssignments = [[0], [0]] }]);
        Assert.Equal(3, Assert.Single(admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics).Partitions.Count);
    }

    private static ConfigResource TopicResource(string topic) => new() { Type = ResourceType.Topic, Name = topic };

    private static Dictionary<ConfigResource, List<ConfigEntry>> Changes(string topic, params (string Name, string Value, AlterConfigOpType Op)[] changes) =>
        new() { [TopicResource(topic)] = [.. changes.Select(c => new ConfigEntry { Name = c.Name, Value = c.Value, IncrementalOperation = c.Op })] };

    private static List<(string, string, ConfigSource)> Synonyms(ConfigEntryResult entry) =>
        [.. entry.Synonyms.Select(s => (s.Name, s.Value, s.Source))];

    private async Task<string> NewTopicAsync(Dictionary<string, string>? configs = null)
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1, configs);
        return topic;
    }

    private async Task<DescribeConfigsResponse> DescribeRawAsync(DescribeConfigsRequest.DescribeConfigsResource resource, bool documentation = false)
    {
        const short Version = 4;
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Token);
        var (frame, correlationId) = connection.Frame(new DescribeConfigsRequest { Resources = [resource], IncludeDocumentation = documentation }, Version);
        await connection.SendAsync(Token, frame);
        return await connection.ReceiveAsync<DescribeConfigsResponse>(correlationId, Version, Token);
    }
}
