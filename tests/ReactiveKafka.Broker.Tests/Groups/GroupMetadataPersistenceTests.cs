using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>
/// The group metadata record (kind 7: a stable generation with its members) and the coordinator's reload of it: a
/// restart shorter than the session timeout keeps the generation, members and assignments; a longer one expires them.
/// </summary>
public sealed class GroupMetadataPersistenceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-group-meta-" + Guid.NewGuid().ToString("N"));

    private string LogPath => Path.Combine(_directory, OffsetStore.DirectoryName, OffsetStore.FileName);

    private static StoredGroup Stable(int generation, params string[] memberIds) => new(
        "consumer",
        generation,
        new StoredGeneration("range", memberIds[0], [.. memberIds.Select((id, i) => new StoredMember(
            id, i == 0 ? null : "instance-" + id, "client-" + id, "/127.0.0.1", 30_000, 10_000, new byte[] { 1, (byte)i }, new byte[] { 9, (byte)i, 7 }))]));

    [Fact]
    public void Codec_StableGeneration_RoundTripsEveryField()
    {
        var record = new OffsetLogRecord.Group("g", Stable(5, "a", "b"));

        var payload = record.ToPayload();
        var decoded = Assert.IsType<OffsetLogRecord.Group>(OffsetLogRecord.FromPayload(payload));

        Assert.Equal(7, payload[0]);
        Assert.Equal(("g", "consumer", 5), (decoded.GroupId, decoded.Value.ProtocolType, decoded.Value.GenerationId));
        var stable = decoded.Value.Stable!;
        Assert.Equal(("range", "a"), (stable.ProtocolName, stable.LeaderId));
        var expected = record.Value.Stable!.Members;
        Assert.Equal(expected.Count, stable.Members.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i] with { Subscription = default, Assignment = default }, stable.Members[i] with { Subscription = default, Assignment = default });
            Assert.Equal(expected[i].Subscription.ToArray(), stable.Members[i].Subscription.ToArray());
            Assert.Equal(expected[i].Assignment.ToArray(), stable.Members[i].Assignment.ToArray());
        }
    }

    [Fact]
    public void Codec_GroupWithoutMembers_KeepsTheOldKind3Format()
    {
        // kind 3 | "g" | has protocol type | "consumer" | generation 4, as every earlier broker wrote it.
        byte[] old = [3, 1, (byte)'g', 1, 8, .. "consumer"u8, 4, 0, 0, 0];

        var decoded = Assert.IsType<OffsetLogRecord.Group>(OffsetLogRecord.FromPayload(old));

        Assert.Equal(new StoredGroup("consumer", 4), decoded.Value);
        Assert.Equal(old, decoded.ToPayload());
    }

    [Fact]
    public void Codec_TruncatedStableGeneration_IsInvalidData()
    {
        var payload = new OffsetLogRecord.Group("g", Stable(1, "a")).ToPayload();

        for (var cut = 1; cut < payload.Length; cut++)
        {
            Assert.Throws<InvalidDataException>(() => OffsetLogRecord.FromPayload(payload[..cut]));
        }
    }

    [Fact]
    public async Task Open_TornStableGenerationRecord_KeepsThePreviousGeneration()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(new OffsetLogRecord.Group("g", Stable(1, "a", "b")));
        }

        var frame = new OffsetLogRecord.Group("g", Stable(2, "c")).ToFrame();
        await using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(frame.AsSpan(0, frame.Length - 5)); // killed in the middle of the next generation's write
        }

        await using var reopened = OffsetStore.Open(_directory);
        var group = reopened.GetGroup("g")!;
        Assert.Equal(1, group.GenerationId);
        Assert.Equal(["a", "b"], group.Stable!.Members.Select(m => m.MemberId));
    }

    [Fact]
    public async Task Reopen_StableGroup_KeepsGenerationMembersAndAssignments()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();

        await h.ReopenAsync();

        Assert.Equal("Stable", h.State());
        Assert.Equal(ErrorCode.None, h.Heartbeat(leader));
        Assert.Equal(ErrorCode.None, h.Heartbeat(follower));
        var described = h.Coordinator.DescribeGroups([GroupHarness.Group])[0];
        Assert.Equal("range", described.ProtocolName);
        Assert.Equal(
            [(leader.MemberId, (byte)10), (follower.MemberId, (byte)20)],
            described.Members.Select(m => (m.MemberId, m.Assignment.Span[0])).OrderBy(m => m.Item2));
        var commit = await h.Coordinator.CommitOffsetsAsync(new OffsetCommitInput(GroupHarness.Group, follower.GenerationId, follower.MemberId, null, [new("t", 0, 5)]));
        Assert.Equal(ErrorCode.None, commit.Single().Error);
        var sync = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(follower));
        Assert.Equal((ErrorCode.None, (byte)20), (sync.Error, sync.Assignment.Span[0]));

        // Heartbeats keep a reloaded member alive past its session timeout; the one that stops expires.
        h.Time.Advance(TimeSpan.FromMilliseconds(GroupHarness.SessionMs * 3 / 4));
        Assert.Equal(ErrorCode.None, h.Heartbeat(leader));
        h.Time.Advance(TimeSpan.FromMilliseconds(GroupHarness.SessionMs * 3 / 4));
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(leader));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(follower));
    }

    [Fact]
    public async Task Reopen_LongerThanSessionTimeout_ReloadedMembersExpire()
    {
        await using var h = new GroupHarness();
        var (leader, _) = await h.StableGroupOfTwoAsync();

        await h.ReopenAsync();
        h.Time.Advance(TimeSpan.FromMilliseconds(GroupHarness.SessionMs + 1));

        Assert.Equal("Empty", h.State());
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(leader));
    }

    [Fact]
    public async Task Reopen_DuringCompletingRebalance_ReloadsTheLastStableGeneration()
    {
        await using var h = new GroupHarness();
        var (leader, follower) = await h.StableGroupOfTwoAsync();
        var leaderJoin = h.Coordinator.JoinAsync(GroupHarness.JoinInput(leader.MemberId, protocols: GroupHarness.Range(2)));
        var followerJoin = h.Coordinator.JoinAsync(GroupHarness.JoinInput(follower.MemberId, protocols: GroupHarness.Range(2)));
        var rejoinLeader = await leaderJoin;
        Assert.Equal(2, rejoinLeader.GenerationId);
        Assert.Equal(2, (await followerJoin).GenerationId);
        Assert.Equal("CompletingRebalance", h.State());

        await h.ReopenAsync(); // before the leader's SyncGroup of generation 2

        Assert.Equal("Stable", h.State());
        Assert.Equal(ErrorCode.None, h.Heartbeat(leader)); // generation 1
        var sync = await h.Coordinator.SyncAsync(GroupHarness.SyncInput(rejoinLeader));
        Assert.Equal(ErrorCode.IllegalGeneration, sync.Error);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
