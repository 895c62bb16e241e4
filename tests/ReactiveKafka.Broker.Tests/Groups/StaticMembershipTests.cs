using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class StaticMembershipTests
{
    [Fact]
    public async Task Join_StaticMemberWithoutMemberId_JoinsWithoutMemberIdRequired()
    {
        await using var h = new GroupHarness();

        var joined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", version: 5));

        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(1, joined.GenerationId);
    }

    [Fact]
    public async Task Join_SameInstanceIdAgain_ReplacesMemberAndFencesOldIdWithoutRebalance()
    {
        await using var h = new GroupHarness();
        var (leader, old) = await h.StableGroupOfTwoAsync(secondInstanceId: "i1");

        var restarted = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", version: 9));

        Assert.Equal(ErrorCode.None, restarted.Error);
        Assert.NotEqual(old.MemberId, restarted.MemberId);
        Assert.Equal(old.GenerationId, restarted.GenerationId);
        Assert.Equal(leader.MemberId, restarted.LeaderId);
        Assert.False(restarted.SkipAssignment);
        Assert.Equal("Stable", h.State());
        Assert.Equal(ErrorCode.FencedInstanceId, h.Heartbeat(old, "i1"));
        Assert.Equal(ErrorCode.None, h.Heartbeat(restarted, "i1"));
        var sync = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(restarted, instanceId: "i1"));
        Assert.Equal(new byte[] { 20 }, sync.Assignment.ToArray()); // kept the old member's assignment
        var commit = await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput(GroupHarness.Group, old.GenerationId, old.MemberId, "i1", [new("t", 0, 5)]));
        Assert.Equal(ErrorCode.FencedInstanceId, commit.Single().Error);
    }

    [Fact]
    public async Task Join_StaticLeaderRestartsV9_IsToldToSkipAssignment()
    {
        await using var h = new GroupHarness();
        var joined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", version: 9));
        await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined, [new(joined.MemberId, new byte[] { 1 })], "i1"));

        var restarted = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", version: 9));
        var restartedV5 = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", version: 5));

        Assert.Equal(restarted.MemberId, restarted.LeaderId);
        Assert.True(restarted.SkipAssignment);
        Assert.Single(restarted.Members);
        Assert.Equal(restarted.MemberId, restartedV5.LeaderId); // the previous leader's id, not its own
        Assert.NotEqual(restartedV5.MemberId, restartedV5.LeaderId);
        Assert.Empty(restartedV5.Members);
        Assert.Equal(1, restartedV5.GenerationId);
    }

    [Fact]
    public async Task Join_SameInstanceIdWhileOldJoinParked_OldJoinGetsFencedInstanceId()
    {
        await using var h = new GroupHarness();
        var (leader, old) = await h.StableGroupOfTwoAsync(secondInstanceId: "i1");
        var parked = h.Coordinator.JoinAsync(GroupHarness.JoinInput(old.MemberId, "i1", protocols: GroupHarness.Range(5)));

        var replacement = h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1", protocols: GroupHarness.Range(5)));

        Assert.Equal(ErrorCode.FencedInstanceId, (await parked).Error);
        var rejoined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(leader.MemberId));
        Assert.Equal(ErrorCode.None, (await replacement).Error);
        Assert.Equal(2, rejoined.GenerationId);
    }

    [Fact]
    public async Task Leave_ByInstanceIdWithoutMemberId_RemovesStaticMember()
    {
        await using var h = new GroupHarness();
        var (leader, member) = await h.StableGroupOfTwoAsync(secondInstanceId: "i1");

        var left = await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember("", "i1", "shutting down")]));

        Assert.Equal(ErrorCode.None, left.Members.Single().Error);
        Assert.Equal("PreparingRebalance", h.State());
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(member, "i1"));
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(leader));
    }

    [Fact]
    public async Task Leave_WithStaleMemberIdOfInstance_ReturnsFencedInstanceId()
    {
        await using var h = new GroupHarness();
        var (_, old) = await h.StableGroupOfTwoAsync(secondInstanceId: "i1");
        await h.Coordinator.JoinAsync(GroupHarness.JoinInput(instanceId: "i1"));

        var left = await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember(old.MemberId, "i1")]));

        Assert.Equal(ErrorCode.FencedInstanceId, left.Members.Single().Error);
        Assert.Equal("Stable", h.State());
    }
}
