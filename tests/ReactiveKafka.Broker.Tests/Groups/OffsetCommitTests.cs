using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class OffsetCommitTests
{
    private static OffsetCommitPartition P(string topic, int partition, long offset, int leaderEpoch = -1, string? Metadata = null) =>
        new(topic, partition, offset, leaderEpoch, Metadata);

    private static OffsetCommitInput Simple(string group, params OffsetCommitPartition[] partitions) => new(group, -1, "", null, partitions);

    private static OffsetCommitInput ByMember(JoinGroupResult member, params OffsetCommitPartition[] partitions) =>
        new(GroupHarness.Group, member.GenerationId, member.MemberId, null, partitions);

    [Fact]
    public async Task Commit_SimpleConsumerWithoutGroup_CreatesEmptyGroupAndFetchReturnsOffsets()
    {
        await using var h = new GroupHarness();

        var results = await h.Coordinator.CommitOffsetsAsync(Simple("simple", P("t", 0, 42, 3, "meta"), P("t", 1, 7)));

        Assert.All(results, r => Assert.Equal(ErrorCode.None, r.Error));
        var fetched = h.Coordinator.FetchOffsets("simple", [new("t", 0), new("t", 1), new("t", 2)]);
        Assert.Equal([42L, 7L, -1L], fetched.Partitions.Select(p => p.Offset));
        Assert.Equal(3, fetched.Partitions[0].LeaderEpoch);
        Assert.Equal("meta", fetched.Partitions[0].Metadata);
        Assert.Equal("", fetched.Partitions[1].Metadata);
        Assert.Equal(-1, fetched.Partitions[2].LeaderEpoch);
        Assert.Equal(2, h.Coordinator.FetchOffsets("simple", null).Partitions.Count);
        Assert.Equal("Empty", h.State("simple"));
    }

    [Fact]
    public async Task Commit_ByMemberOfStableGroup_IsStored()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();

        var results = await h.Coordinator.CommitOffsetsAsync(ByMember(leader, P("t", 0, 100)));

        Assert.Equal(ErrorCode.None, results.Single().Error);
        Assert.Equal(100, h.Coordinator.FetchOffsets(GroupHarness.Group, [new("t", 0)]).Partitions.Single().Offset);
    }

    [Fact]
    public async Task Commit_WithoutMembershipWhileGroupHasMembers_ReturnsUnknownMemberId()
    {
        await using var h = new GroupHarness();
        await h.StableGroupOfTwoAsync();

        var results = await h.Coordinator.CommitOffsetsAsync(Simple(GroupHarness.Group, P("t", 0, 1)));

        Assert.Equal(ErrorCode.UnknownMemberId, results.Single().Error);
    }

    [Fact]
    public async Task Commit_WrongGenerationOrUnknownMember_IsRejected()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();

        var stale = await h.Coordinator.CommitOffsetsAsync(ByMember(leader with { GenerationId = 0 }, P("t", 0, 1)));
        var unknown = await h.Coordinator.CommitOffsetsAsync(ByMember(leader with { MemberId = "nobody" }, P("t", 0, 1)));
        var unknownGroup = await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput("nope", 3, "m", null, [new("t", 0, 1)]));

        Assert.Equal(ErrorCode.IllegalGeneration, stale.Single().Error);
        Assert.Equal(ErrorCode.UnknownMemberId, unknown.Single().Error);
        Assert.Equal(ErrorCode.IllegalGeneration, unknownGroup.Single().Error);
        Assert.Equal(-1, h.Coordinator.FetchOffsets(GroupHarness.Group, [new("t", 0)]).Partitions.Single().Offset);
    }

    [Fact]
    public async Task Commit_DuringCompletingRebalance_ReturnsRebalanceInProgress()
    {
        await using var h = new GroupHarness();
        var joined = await (await h.StartJoinAsync());

        var results = await h.Coordinator.CommitOffsetsAsync(ByMember(joined, P("t", 0, 1)));

        Assert.Equal(ErrorCode.RebalanceInProgress, results.Single().Error);
    }

    [Fact]
    public async Task Commit_DuringPreparingRebalanceWithCurrentGeneration_IsAccepted()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();
        _ = await h.StartJoinAsync();

        var results = await h.Coordinator.CommitOffsetsAsync(ByMember(leader, P("t", 0, 9)));

        Assert.Equal("PreparingRebalance", h.State());
        Assert.Equal(ErrorCode.None, results.Single().Error);
    }

    [Fact]
    public async Task Commit_MetadataTooLarge_RejectsOnlyThatPartition()
    {
        await using var h = new GroupHarness();

        var results = await h.Coordinator.CommitOffsetsAsync(Simple("s", P("t", 0, 1, Metadata: new string('x', 4097)), P("t", 1, 2)));

        Assert.Equal([ErrorCode.OffsetMetadataTooLarge, ErrorCode.None], results.Select(r => r.Error));
    }

    [Fact]
    public async Task Commit_ThenReopen_OffsetsAndGroupSurvive()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();
        await h.Coordinator.CommitOffsetsAsync(ByMember(leader, P("t", 0, 5, 1, "a")));
        await h.Coordinator.CommitOffsetsAsync(ByMember(leader, P("t", 0, 6, 1, "b")));

        await h.ReopenAsync();

        var fetched = h.Coordinator.FetchOffsets(GroupHarness.Group, null).Partitions.Single();
        Assert.Equal((6L, 1, "b"), (fetched.Offset, fetched.LeaderEpoch, fetched.Metadata));
        var listed = h.Coordinator.ListGroups().Single();
        Assert.Equal(("consumer", "Stable"), (listed.ProtocolType, listed.State)); // the stable generation was reloaded
        h.Time.Advance(TimeSpan.FromMilliseconds(GroupHarness.SessionMs + 1)); // nobody heartbeats: both members expire
        Assert.Equal("Empty", h.State());
        var rejoined = await (await h.StartJoinAsync());
        Assert.Equal(3, rejoined.GenerationId); // generations continue after a restart (the expiry made generation 2)
    }

    [Fact]
    public async Task RemoveOffsetsForTopic_RemovesThatTopicFromEveryGroup()
    {
        await using var h = new GroupHarness();
        await h.Coordinator.CommitOffsetsAsync(Simple("a", P("gone", 0, 1), P("kept", 0, 2)));
        await h.Coordinator.CommitOffsetsAsync(Simple("b", P("gone", 3, 1)));

        await h.Coordinator.RemoveOffsetsForTopicAsync("gone");
        await h.ReopenAsync();

        Assert.Equal(["kept"], h.Coordinator.FetchOffsets("a", null).Partitions.Select(p => p.Topic));
        Assert.Empty(h.Coordinator.FetchOffsets("b", null).Partitions);
    }

    [Fact]
    public async Task Retention_EmptyGroupOffsetsExpire_AndGroupIsForgotten()
    {
        var options = new GroupCoordinatorOptions
        {
            InitialRebalanceDelay = TimeSpan.Zero,
            OffsetsRetention = TimeSpan.FromHours(1),
            OffsetsRetentionCheckInterval = TimeSpan.FromMinutes(10),
        };
        await using var h = new GroupHarness(options);
        await h.Coordinator.CommitOffsetsAsync(Simple("s", P("t", 0, 1)));

        h.Time.Advance(TimeSpan.FromMinutes(50));
        await Task.Delay(50);
        Assert.Single(h.Coordinator.FetchOffsets("s", null).Partitions);
        h.Time.Advance(TimeSpan.FromMinutes(20));
        await WaitUntil(() => h.Coordinator.FetchOffsets("s", null).Partitions.Count == 0);

        Assert.Equal("Dead", h.State("s"));
        Assert.Empty(h.Coordinator.ListGroups());
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }
}
