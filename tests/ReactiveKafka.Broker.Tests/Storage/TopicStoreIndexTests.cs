using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

/// <summary>
/// The topic store's lookups that replaced walks over every topic (issue 18): the cached name-order listing, topics by
/// id and the '.'/'_' collision forms stay in step with creation, partition growth, config changes, deletion and
/// reopening.
/// </summary>
public sealed class TopicStoreIndexTests : IDisposable
{
    private static readonly LogConfig Defaults = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private TopicStore Open() =>
        TopicStore.Open(_temp.Path, Defaults, TimeProvider.System, NullLoggerFactory.Instance, retentionCheckInterval: Timeout.InfiniteTimeSpan);

    [Fact]
    public async Task ListTopics_FollowsEveryChange_InNameOrder()
    {
        await using var store = Open();
        Assert.Empty(store.ListTopics());
        Assert.Equal(ErrorCode.None, store.CreateTopic("b", 1, null).Error);
        Assert.Equal(ErrorCode.None, store.CreateTopic("a", 1, null).Error);
        var first = store.ListTopics();
        Assert.Equal(["a", "b"], first.Select(t => t.Name));
        Assert.Same(first, store.ListTopics()); // unchanged store: the listing is reused

        Assert.Equal(ErrorCode.None, store.AddPartitions("a", 3).Error);
        Assert.Equal(3, store.ListTopics()[0].PartitionCount);
        Assert.Equal(ErrorCode.None, store.AlterConfigs("b", new Dictionary<string, string> { ["retention.ms"] = "5000" }).Error);
        Assert.Equal("5000", store.ListTopics()[1].Configs["retention.ms"]);
        Assert.Equal(ErrorCode.None, store.CreateTopic("c", 1, null).Error);
        Assert.Equal(["a", "b", "c"], store.ListTopics().Select(t => t.Name));
        Assert.Equal(ErrorCode.None, (await store.DeleteTopicAsync("b")).Error);
        Assert.Equal(["a", "c"], store.ListTopics().Select(t => t.Name));
    }

    [Fact]
    public async Task GetTopicById_FollowsCreateDeleteAndReopen()
    {
        Guid kept, deleted;
        await using (var store = Open())
        {
            kept = store.CreateTopic("kept", 1, null).Topic!.TopicId;
            deleted = store.CreateTopic("deleted", 1, null).Topic!.TopicId;
            Assert.Equal("deleted", store.GetTopic(deleted)?.Name);
            Assert.Equal(ErrorCode.None, store.AddPartitions("kept", 2).Error);
            Assert.Equal(2, store.GetTopic(kept)?.PartitionCount); // the current TopicInfo, not the one at creation
            Assert.Equal(ErrorCode.None, (await store.DeleteTopicAsync("deleted")).Error);
            Assert.Null(store.GetTopic(deleted));
            Assert.Null(store.GetTopic(Guid.NewGuid()));
        }

        await using var reopened = Open();
        Assert.Equal("kept", reopened.GetTopic(kept)?.Name);
        Assert.Null(reopened.GetTopic(deleted));
    }

    [Fact]
    public async Task CreateTopic_CollisionForms_FollowDeleteAndReopen()
    {
        await using (var store = Open())
        {
            Assert.Equal(ErrorCode.None, store.CreateTopic("a.b", 1, null).Error);
            var collision = store.CreateTopic("a_b", 1, null);
            Assert.Equal(ErrorCode.InvalidTopicException, collision.Error);
            Assert.Contains("a.b", collision.Message);
            Assert.Equal(ErrorCode.TopicAlreadyExists, store.CreateTopic("a.b", 1, null).Error);
            Assert.Equal(ErrorCode.None, (await store.DeleteTopicAsync("a.b")).Error);
            Assert.Equal(ErrorCode.None, store.CreateTopic("a_b", 1, null).Error); // the deleted name no longer collides
        }

        await using var reopened = Open();
        Assert.Equal(ErrorCode.InvalidTopicException, reopened.CreateTopic("a.b", 1, null).Error);
    }
}
