using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class JoinGroupTests
{
    [Fact]
    public async Task Join_V4WithoutMemberId_ReturnsMemberIdRequiredThenJoinsWithIt()
    {
        await using var h = new GroupHarness();

        var first = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(version: 4));
        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.StartsWith("client-", first.MemberId);
        Assert.Equal("Empty", h.State());

        var second = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(first.MemberId, version: 4));
        Assert.Equal(ErrorCode.None, second.Error);
        Assert.Equal(first.MemberId, second.MemberId);
        Assert.Equal(1, second.GenerationId);
        Assert.Equal(second.MemberId, second.LeaderId);
        Assert.Equal("range", second.ProtocolName);
        Assert.Equal([first.MemberId], second.Members.Select(m => m.MemberId));
        Assert.Equal("CompletingRebalance", h.State());
    }

    [Fact]
    public async Task Join_V3WithoutMemberId_JoinsDirectly()
    {
        await using var h = new GroupHarness();

        var joined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(version: 3));

        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.StartsWith("client-", joined.MemberId);
        Assert.Equal(1, joined.GenerationId);
    }

    [Fact]
    public async Task Join_TwoMembers_SameGenerationOneLeaderFollowerGetsAssignmentAfterLeaderSync()
    {
        await using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromMilliseconds(100) });

        var a = await h.StartJoinAsync();
        var b = await h.StartJoinAsync();
        Assert.False(a.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var (ra, rb) = (await a, await b);

        Assert.Equal(1, ra.GenerationId);
        Assert.Equal(1, rb.GenerationId);
        Assert.Equal(ra.LeaderId, rb.LeaderId);
        var (leader, follower) = ra.MemberId == ra.LeaderId ? (ra, rb) : (rb, ra);
        Assert.Equal(2, leader.Members.Count);
        Assert.Empty(follower.Members);
        Assert.Equal(new byte[] { 1 }, leader.Members[0].Metadata.ToArray());

        var followerSync = h.Coordinator.SyncAsync(GroupHarness.SyncInput(follower));
        Assert.False(followerSync.IsCompleted);
        var leaderSync = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(leader, [new(leader.MemberId, new byte[] { 7 }), new(follower.MemberId, new byte[] { 8 })]));

        Assert.Equal(new byte[] { 7 }, leaderSync.Assignment.ToArray());
        var synced = await followerSync;
        Assert.Equal(ErrorCode.None, synced.Error);
        Assert.Equal(new byte[] { 8 }, synced.Assignment.ToArray());
        Assert.Equal("range", synced.ProtocolName);
        Assert.Equal("Stable", h.State());
    }

    [Fact]
    public async Task Join_InitialDelay_ExtendsWhileMembersArriveUpToRebalanceTimeout()
    {
        await using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromSeconds(3) });

        var a = await h.StartJoinAsync(rebalanceMs: 7_000);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var b = await h.StartJoinAsync(rebalanceMs: 7_000);
        h.Time.Advance(TimeSpan.FromSeconds(2)); // first delay over, a member arrived: extended
        Assert.False(a.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(1, (await a).GenerationId);
        Assert.Equal(1, (await b).GenerationId);
    }

    [Fact]
    public async Task Join_SessionTimeoutOutsideBrokerRange_ReturnsInvalidSessionTimeout()
    {
        await using var h = new GroupHarness();

        Assert.Equal(ErrorCode.InvalidSessionTimeout, (await h.Coordinator.JoinAsync(GroupHarness.JoinInput(sessionMs: 5_999))).Error);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, (await h.Coordinator.JoinAsync(GroupHarness.JoinInput(sessionMs: 1_800_001))).Error);
    }

    [Fact]
    public async Task Join_EmptyGroupId_ReturnsInvalidGroupId()
    {
        await using var h = new GroupHarness();

        Assert.Equal(ErrorCode.InvalidGroupId, (await h.Coordinator.JoinAsync(GroupHarness.JoinInput(group: ""))).Error);
    }

    [Fact]
    public async Task Join_NoProtocolInCommon_ReturnsInconsistentGroupProtocol()
    {
        await using var h = new GroupHarness();
        await (await h.StartJoinAsync());

        var other = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(version: 3, protocols: [new("roundrobin", new byte[] { 1 })]));
        var otherType = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(version: 3, protocolType: "connect"));

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, other.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, otherType.Error);
    }

    [Fact]
    public async Task Join_UnknownMemberIdInUnknownGroup_ReturnsUnknownMemberId()
    {
        await using var h = new GroupHarness();

        Assert.Equal(ErrorCode.UnknownMemberId, (await h.Coordinator.JoinAsync(GroupHarness.JoinInput("nobody"))).Error);
    }

    [Fact]
    public async Task Join_ProtocolSupportedByAll_WinsByMemberVotes()
    {
        await using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromMilliseconds(100) });
        GroupProtocol P(string name) => new(name, new byte[] { 1 });

        var a = await h.StartJoinAsync(protocols: [P("roundrobin"), P("range"), P("sticky")]);
        var b = await h.StartJoinAsync(protocols: [P("range"), P("roundrobin")]);
        var c = await h.StartJoinAsync(protocols: [P("sticky"), P("range"), P("roundrobin")]);
        h.Time.Advance(TimeSpan.FromSeconds(1));

        // Candidates are roundrobin and range (sticky is not supported by b); votes: roundrobin, range, range.
        Assert.Equal("range", (await a).ProtocolName);
        Assert.Equal("range", (await b).ProtocolName);
        Assert.Equal("range", (await c).ProtocolName);
    }

    [Fact]
    public async Task Join_FollowerRejoinsStableGroupWithSameMetadata_ReturnsCurrentGenerationWithoutRebalance()
    {
        await using var h = new GroupHarness();
        var (_, follower) = await h.StableGroupOfTwoAsync();

        var rejoined = await h.Coordinator.JoinAsync(GroupHarness.JoinInput(follower.MemberId));

        Assert.Equal(ErrorCode.None, rejoined.Error);
        Assert.Equal(follower.GenerationId, rejoined.GenerationId);
        Assert.Equal("Stable", h.State());
    }

    [Fact]
    public async Task Join_Cancelled_DoesNotCorruptTheGroup()
    {
        await using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromMilliseconds(100) });
        using var cts = new CancellationTokenSource();
        var first = await h.Coordinator.JoinAsync(GroupHarness.JoinInput());
        var join = h.Coordinator.JoinAsync(GroupHarness.JoinInput(first.MemberId), cts.Token);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await join);
        var other = await h.StartJoinAsync();
        h.Time.Advance(TimeSpan.FromSeconds(1));

        // The abandoned member is still a member until its session expires, like in Kafka.
        var joined = await other;
        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(1, joined.GenerationId);
        h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorCode.None, h.Heartbeat(joined));
        h.Time.Advance(TimeSpan.FromSeconds(5.2));
        Assert.Equal("PreparingRebalance", h.State());
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(joined));
    }
}
