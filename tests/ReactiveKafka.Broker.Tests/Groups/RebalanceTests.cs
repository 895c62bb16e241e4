using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class RebalanceTests
{
    [Fact]
    public async Task SessionTimeout_MemberStopsHeartbeating_IsRemovedAndOtherRejoinsNewGeneration()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();

        for (var i = 0; i < 3; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(ErrorCode.None, h.Heartbeat(leader));
        }

        h.Time.Advance(TimeSpan.FromSeconds(1.5)); // 10.5 s since the follower was last heard from
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(leader));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(follower));

        var rejoined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(leader.MemberId));
        Assert.Equal(ErrorCode.None, rejoined.Error);
        Assert.Equal(leader.GenerationId + 1, rejoined.GenerationId);
        Assert.Equal([leader.MemberId], rejoined.Members.Select(m => m.MemberId));
    }

    [Fact]
    public async Task RebalanceTimeout_MemberThatDoesNotRejoin_IsRemoved()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();

        var rejoin = h.Coordinator.JoinAsync(GroupHarness.JoinInput(leader.MemberId, protocols: GroupHarness.Range(2)));
        Assert.False(rejoin.IsCompleted);
        for (var elapsed = 0; elapsed < GroupHarness.RebalanceMs - 3_000; elapsed += 3_000)
        {
            h.Time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(follower)); // alive, but never rejoins
        }

        Assert.False(rejoin.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(3.1));
        var joined = await rejoin;

        Assert.Equal(2, joined.GenerationId);
        Assert.Equal([leader.MemberId], joined.Members.Select(m => m.MemberId));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(follower));
    }

    [Fact]
    public async Task Leave_Member_TriggersRebalanceAndRemainingMemberRejoins()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();

        var left = await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember(follower.MemberId, null)]));

        Assert.Equal(ErrorCode.None, left.Members.Single().Error);
        Assert.Equal("PreparingRebalance", h.State());
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(leader));
        var rejoined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(leader.MemberId));
        Assert.Equal(2, rejoined.GenerationId);
        Assert.Single(rejoined.Members);
    }

    [Fact]
    public async Task Leave_UnknownMemberOrGroup_ReturnsUnknownMemberIdPerMember()
    {
        await using var h = new GroupHarness();
        await h.StableGroupOfTwoAsync();

        var unknownMember = await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember("nobody", null), new LeavingMember("", "no-such-instance")]));
        var unknownGroup = await h.Coordinator.LeaveAsync(new LeaveGroupInput("other", [new LeavingMember("nobody", null)]));

        Assert.All(unknownMember.Members, m => Assert.Equal(ErrorCode.UnknownMemberId, m.Error));
        Assert.Equal(ErrorCode.UnknownMemberId, unknownGroup.Members.Single().Error);
        Assert.Equal("Stable", h.State());
    }

    [Fact]
    public async Task Leave_LastMember_GroupBecomesEmpty()
    {
        await using var h = new GroupHarness();
        var joined = await (await h.StartJoinAsync());

        await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember(joined.MemberId, null)]));

        Assert.Equal("Empty", h.State());
    }

    [Fact]
    public async Task Heartbeat_DuringRebalance_ReturnsRebalanceInProgress()
    {
        await using var h = new GroupHarness();
        var (_, follower) = await h.StableGroupOfTwoAsync();

        _ = await h.StartJoinAsync();

        Assert.Equal("PreparingRebalance", h.State());
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(follower));
    }

    [Fact]
    public async Task Heartbeat_WrongGeneration_ReturnsIllegalGeneration()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();

        Assert.Equal(ErrorCode.IllegalGeneration, h.Heartbeat(leader with { GenerationId = leader.GenerationId + 1 }));
    }

    [Fact]
    public async Task Heartbeat_UnknownMemberOrGroup_ReturnsUnknownMemberId()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();

        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(leader with { MemberId = "nobody" }));
        Assert.Equal(ErrorCode.UnknownMemberId, (await h.Coordinator.HeartbeatAsync(new HeartbeatInput("other", 1, "x", null))));
    }

    [Fact]
    public async Task Sync_WrongGenerationOrUnknownMember_ReturnsError()
    {
        await using var h = new GroupHarness();
        var joined = await (await h.StartJoinAsync());

        var wrongGeneration = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined with { GenerationId = 7 }));
        var unknown = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined with { MemberId = "nobody" }));
        var wrongProtocol = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined with { ProtocolName = "roundrobin" }));

        Assert.Equal(ErrorCode.IllegalGeneration, wrongGeneration.Error);
        Assert.Equal(ErrorCode.UnknownMemberId, unknown.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, wrongProtocol.Error);
    }

    [Fact]
    public async Task Sync_FollowerWaitingWhenRebalanceStarts_GetsRebalanceInProgress()
    {
        await using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromMilliseconds(100) });
        var a = await h.StartJoinAsync();
        var b = await h.StartJoinAsync();
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var (ra, rb) = (await a, await b);
        var follower = ra.MemberId == ra.LeaderId ? rb : ra;
        var sync = h.Coordinator.SyncAsync(GroupHarness.SyncInput(follower));

        _ = await h.StartJoinAsync();

        Assert.Equal(ErrorCode.RebalanceInProgress, (await sync).Error);
    }

    [Fact]
    public async Task Sync_LeaderNeverSyncs_MissingMembersRemovedAfterRebalanceTimeout()
    {
        await using var h = new GroupHarness();
        var a = await (await h.StartJoinAsync(rebalanceMs: 8_000));

        for (var i = 0; i < 2; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(ErrorCode.None, h.Heartbeat(a));
        }

        h.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(a));
        Assert.Equal("Empty", h.State());
    }

    [Fact]
    public async Task Join_MemberRemovedWhileItsJoinIsParked_GetsUnknownMemberId()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();
        var rejoin = h.Coordinator.JoinAsync(GroupHarness.JoinInput(follower.MemberId, protocols: GroupHarness.Range(3)));

        await h.Coordinator.LeaveAsync(new LeaveGroupInput(GroupHarness.Group, [new LeavingMember(follower.MemberId, null)]));

        Assert.Equal(ErrorCode.UnknownMemberId, (await rejoin).Error);
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(leader));
    }
}
