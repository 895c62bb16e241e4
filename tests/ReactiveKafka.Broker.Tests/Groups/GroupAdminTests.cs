using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class GroupAdminTests
{
    [Fact]
    public async Task DeleteGroups_WithMembers_ReturnsNonEmptyGroup()
    {
        await using var h = new GroupHarness();
        await h.StableGroupOfTwoAsync();

        var deleted = await h.Coordinator.DeleteGroupsAsync([GroupHarness.Group]);

        Assert.Equal(ErrorCode.NonEmptyGroup, deleted.Single().Error);
        Assert.Equal("Stable", h.State());
    }

    [Fact]
    public async Task DeleteGroups_Unknown_ReturnsGroupIdNotFound()
    {
        await using var h = new GroupHarness();

        var deleted = await h.Coordinator.DeleteGroupsAsync(["nope"]);

        Assert.Equal(ErrorCode.GroupIdNotFound, deleted.Single().Error);
    }

    [Fact]
    public async Task DeleteGroups_EmptyGroupWithOffsets_RemovesGroupAndOffsetsDurably()
    {
        await using var h = new GroupHarness();
        await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput("s", -1, "", null, [new("t", 0, 5)]));
        await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput("other", -1, "", null, [new("t", 0, 6)]));

        var deleted = await h.Coordinator.DeleteGroupsAsync(["s", "s"]);
        await h.ReopenAsync();

        Assert.Equal([ErrorCode.None, ErrorCode.GroupIdNotFound], deleted.Select(d => d.Error));
        Assert.Equal(-1, h.Coordinator.FetchOffsets("s", [new("t", 0)]).Partitions.Single().Offset);
        Assert.Equal(["other"], h.Coordinator.ListGroups().Select(g => g.GroupId));
    }

    [Fact]
    public async Task DescribeGroups_StableGroup_ShowsMembersWithMetadataAndAssignment()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();

        var described = h.Coordinator.DescribeGroups([GroupHarness.Group, "unknown"]);

        var group = described[0];
        Assert.Equal(("Stable", "consumer", "range"), (group.State, group.ProtocolType, group.ProtocolName));
        Assert.Equal(new[] { leader.MemberId, follower.MemberId }.Order(), group.Members.Select(m => m.MemberId).Order());
        var described1 = group.Members.Single(m => m.MemberId == follower.MemberId);
        Assert.Equal(new byte[] { 20 }, described1.Assignment.ToArray());
        Assert.Equal(new byte[] { 1 }, described1.Metadata.ToArray());
        Assert.Equal(("client", "/127.0.0.1"), (described1.ClientId, described1.ClientHost));
        Assert.Equal((ErrorCode.None, "Dead"), (described[1].Error, described[1].State));
    }

    [Fact]
    public async Task DescribeGroups_DuringRebalance_HidesMetadataAndProtocol()
    {
        await using var h = new GroupHarness();
        await h.StableGroupOfTwoAsync();
        _ = await h.StartJoinAsync();

        var group = h.Coordinator.DescribeGroups([GroupHarness.Group]).Single();

        Assert.Equal(("PreparingRebalance", ""), (group.State, group.ProtocolName));
        Assert.All(group.Members, m => Assert.True(m.Metadata.IsEmpty && m.Assignment.IsEmpty));
    }

    [Fact]
    public async Task ListGroups_StatesFilter_MatchesCaseInsensitively()
    {
        await using var h = new GroupHarness();
        await h.StableGroupOfTwoAsync();
        await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput("simple", -1, "", null, [new("t", 0, 1)]));

        Assert.Equal(2, h.Coordinator.ListGroups().Count);
        Assert.Equal([GroupHarness.Group], h.Coordinator.ListGroups(["stable"]).Select(g => g.GroupId));
        var empty = h.Coordinator.ListGroups(["Empty", "Dead"]).Single();
        Assert.Equal(("simple", "", "Empty"), (empty.GroupId, empty.ProtocolType, empty.State));
        Assert.Empty(h.Coordinator.ListGroups(typesFilter: ["consumer"]));
        Assert.Equal(2, h.Coordinator.ListGroups(typesFilter: ["Classic"]).Count);
    }
}
