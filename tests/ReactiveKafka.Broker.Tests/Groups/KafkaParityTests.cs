using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>Coordinator answers compared with Kafka's GroupMetadataManager / ClassicGroup for the same requests.</summary>
public sealed class KafkaParityTests
{
    [Fact]
    public async Task Sync_MemberJoinedWithUnsetRebalanceTimeout_RemovedAtOnceAsInKafka()
    {
        // Kafka folds the group's rebalance timeout from 0 over its members, so -1 counts as 0 and the
        // pending-sync timer fires at once; here -1 used to make the group's timers infinite.
        await using var h = new GroupHarness();
        var joined = await (await h.StartJoinAsync(rebalanceMs: -1));
        Assert.Equal(ErrorCode.None, joined.Error);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("Empty", h.State());
        Assert.Equal(ErrorCode.UnknownMemberId, (await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined))).Error);
    }

    [Fact]
    public async Task Commit_NegativeGenerationWithMemberIdToEmptyGroup_AcceptedAsInKafka()
    {
        // ClassicGroup.validateOffsetCommit accepts a negative generation on an Empty group before it
        // looks at the member id (a consumer that left its group, committing with its old id).
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();
        await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new(leader.MemberId, null), new(follower.MemberId, null)]));
        Assert.Equal("Empty", h.State());

        var results = await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput(GroupHarness.Group, -1, leader.MemberId, null, [new("t", 0, 4)]));

        Assert.Equal(ErrorCode.None, results.Single().Error);
        Assert.Equal(4, h.Coordinator.FetchOffsets(GroupHarness.Group, [new("t", 0)]).Partitions.Single().Offset);
    }
}
