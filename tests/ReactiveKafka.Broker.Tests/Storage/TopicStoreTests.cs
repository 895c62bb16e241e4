using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

public sealed class TopicStoreTests : IDisposable
{
    private static readonly LogConfig Defaults = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private TopicStore Open() =>
        TopicStore.Open(_temp.Path, Defaults, TimeProvider.System, NullLoggerFactory.Instance, retentionCheckInterval: Timeout.InfiniteTimeSpan);

    [Fact]
    public async Task CreateTopic_SurvivesReopenWithIdConfigsAndData()
    {
        Guid id;
        await using (var store = Open())
        {
            var created = store.CreateTopic("orders", 3, new Dictionary<string, string> { ["retention.ms"] = "1000" });
            Assert.Equal(ErrorCode.None, created.Error);
            id = created.Topic!.TopicId;
            Assert.Equal(1000, created.Topic.Config.RetentionMs);
            store.GetPartition("orders", 2)!.Append(TestBatches.Create(4), 0);
            Assert.True(File.Exists(Path.Combine(_temp.Path, "__topics", "orders.json")));
        }

        await using var reopened = Open();
        var topic = reopened.GetTopic("orders");
        Assert.NotNull(topic);
        Assert.Equal((id, 3), (topic.TopicId, topic.PartitionCount));
        Assert.Equal("1000", topic.Configs["retention.ms"]);
        Assert.Equal(1000, topic.Config.RetentionMs);
        Assert.Same(topic, reopened.GetTopic(id));
        Assert.Equal(4, reopened.GetPartition("orders", 2)!.LogEndOffset);
        Assert.Null(reopened.GetPartition("orders", 3));
        Assert.Null(reopened.GetPartition("missing", 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/")]
    [InlineData("ünïcode")]
    public async Task CreateTopic_IllegalName_ReturnsInvalidTopic(string name)
    {
        await using var store = Open();
        Assert.Equal(ErrorCode.InvalidTopicException, store.CreateTopic(name, 1, null).Error);
    }

    [Fact]
    public async Task CreateTopic_NameRules_MatchKafka()
    {
        await using var store = Open();
        Assert.Equal(ErrorCode.None, store.CreateTopic(new string('a', 249), 1, null).Error);
        Assert.Equal(ErrorCode.InvalidTopicException, store.CreateTopic(new string('b', 250), 1, null).Error);
        Assert.Equal(ErrorCode.None, store.CreateTopic("Valid.name_1-x", 1, null).Error);
        Assert.Equal(ErrorCode.TopicAlreadyExists, store.CreateTopic("Valid.name_1-x", 1, null).Error);
        Assert.Equal(ErrorCode.InvalidTopicException, store.CreateTopic("Valid_name_1-x", 1, null).Error);
    }

    [Fact]
    public async Task CreateTopic_BadPartitionsOrConfig_ReturnsTheKafkaError()
    {
        await using var store = Open();
        Assert.Equal(ErrorCode.InvalidPartitions, store.CreateTopic("t", 0, null).Error);
        var bad = store.CreateTopic("t", 1, new Dictionary<string, string> { ["segment.bytes"] = "lots" });
        Assert.Equal(ErrorCode.InvalidConfig, bad.Error);
        Assert.Contains("segment.bytes", bad.Message);
        Assert.Equal(ErrorCode.InvalidConfig, store.CreateTopic("t", 1, new Dictionary<string, string> { ["no.such"] = "1" }).Error);
        Assert.Equal(1, store.CreateTopic("t", -1, null, validateOnly: true).Topic!.PartitionCount);
        Assert.Null(store.GetTopic("t"));
        Assert.Empty(store.ListTopics());
    }

    [Fact]
    public async Task AddPartitionsAndAlterConfigs_ArePersisted()
    {
        await using (var store = Open())
        {
            store.CreateTopic("t", 2, null);
            Assert.Equal(ErrorCode.InvalidPartitions, store.AddPartitions("t", 2).Error);
            Assert.Equal(ErrorCode.InvalidPartitions, store.AddPartitions("t", 1).Error);
            Assert.Equal(ErrorCode.UnknownTopicOrPartition, store.AddPartitions("nope", 3).Error);
            Assert.Equal(ErrorCode.None, store.AddPartitions("t", 4).Error);
            Assert.NotNull(store.GetPartition("t", 3));
            Assert.Equal(ErrorCode.InvalidConfig, store.AlterConfigs("t", new Dictionary<string, string> { ["retention.ms"] = "-5" }).Error);
            Assert.Equal(ErrorCode.None, store.AlterConfigs("t", new Dictionary<string, string> { ["retention.bytes"] = "1234" }).Error);
            Assert.Equal(1234, store.GetPartition("t", 0)!.Config.RetentionBytes);
        }

        await using var reopened = Open();
        Assert.Equal(4, reopened.GetTopic("t")!.PartitionCount);
        Assert.Equal(1234, reopened.GetPartition("t", 3)!.Config.RetentionBytes);
    }

    [Fact]
    public async Task DeleteTopic_RemovesMetadataAndData()
    {
        await using var store = Open();
        store.CreateTopic("gone", 2, null);
        var log = store.GetPartition("gone", 0)!;
        log.Append(TestBatches.Create(1), 0);
        Assert.Equal(ErrorCode.None, (await store.DeleteTopicAsync("gone")).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await store.DeleteTopicAsync("gone")).Error);
        Assert.Null(store.GetTopic("gone"));
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "gone-0")));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "__topics", "gone.json")));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, log.Append(TestBatches.Create(1), 0).Error);
        Assert.Equal(ErrorCode.None, store.CreateTopic("gone", 1, null).Error);
        Assert.Equal(0, store.GetPartition("gone", 0)!.LogEndOffset);
    }

    [Fact]
    public async Task Open_PartitionDirectoryWithoutTopic_IsSetAsideAsStray()
    {
        Directory.CreateDirectory(Path.Combine(_temp.Path, "orphan-0"));
        await using var store = Open();
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "orphan-0")));
        Assert.True(Directory.Exists(Path.Combine(_temp.Path, "orphan-0-stray")));
    }

    [Fact]
    public async Task RunRetentionPass_AppliesEachTopicsRetention()
    {
        await using var store = Open();
        var batch = TestBatches.Create(1);
        store.CreateTopic("r", 1, new Dictionary<string, string>
        {
            ["segment.bytes"] = batch.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["retention.bytes"] = "0",
        });
        var log = store.GetPartition("r", 0)!;
        for (var i = 0; i < 4; i++)
        {
            log.Append(batch, 0);
        }

        Assert.Equal(3, store.RunRetentionPass());
        Assert.Equal(3, log.LogStartOffset);
    }
}
