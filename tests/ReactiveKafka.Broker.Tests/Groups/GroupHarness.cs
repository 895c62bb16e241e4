using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>A coordinator on virtual time over a temporary data directory, with request helpers.</summary>
internal sealed class GroupHarness : IAsyncDisposable
{
    public const string Group = "g";
    public const int SessionMs = 10_000;
    public const int RebalanceMs = 30_000;

    public GroupHarness(GroupCoordinatorOptions? options = null, TimeProvider? time = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "rk-groups-" + Guid.NewGuid().ToString("N"));
        Options = options ?? new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.Zero };
        Time = time as ManualTimeProvider ?? new ManualTimeProvider();
        Coordinator = GroupCoordinator.Open(Directory, Options, time ?? Time);
    }

    public string Directory { get; }

    public GroupCoordinatorOptions Options { get; }

    public ManualTimeProvider Time { get; }

    public GroupCoordinator Coordinator { get; private set; }

    public static GroupProtocol[] Range(byte metadata = 1) => [new("range", new byte[] { metadata })];

    public static JoinGroupInput JoinInput(
        string memberId = "",
        string? instanceId = null,
        short version = 5,
        IReadOnlyList<GroupProtocol>? protocols = null,
        int sessionMs = SessionMs,
        int rebalanceMs = RebalanceMs,
        string protocolType = "consumer",
        string group = Group) =>
        new(group, sessionMs, rebalanceMs, memberId, instanceId, protocolType, protocols ?? Range(), "client", "/127.0.0.1", version);

    /// <summary>A first join; for v4+ it performs the MEMBER_ID_REQUIRED step and returns the second join.</summary>
    public async Task<ValueTask<JoinGroupResult>> StartJoinAsync(string? instanceId = null, IReadOnlyList<GroupProtocol>? protocols = null, string group = Group, int sessionMs = SessionMs, int rebalanceMs = RebalanceMs)
    {
        if (instanceId is not null)
        {
            return Coordinator.JoinAsync(JoinInput(instanceId: instanceId, protocols: protocols, group: group, sessionMs: sessionMs, rebalanceMs: rebalanceMs));
        }

        var first = await Coordinator.JoinAsync(JoinInput(protocols: protocols, group: group, sessionMs: sessionMs, rebalanceMs: rebalanceMs));
        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        return Coordinator.JoinAsync(JoinInput(first.MemberId, protocols: protocols, group: group, sessionMs: sessionMs, rebalanceMs: rebalanceMs));
    }

    /// <summary>Two members joined and synced: a Stable group in generation 1.</summary>
    public async Task<(JoinGroupResult Leader, JoinGroupResult Follower)> StableGroupOfTwoAsync(string? secondInstanceId = null)
    {
        // A member id handed out with MEMBER_ID_REQUIRED holds the rebalance until it joins or leaves:
        // it keeps the first member's join parked until the second one joined too (no initial delay here).
        var blocker = await Coordinator.JoinAsync(JoinInput());
        var a = await StartJoinAsync();
        var b = await StartJoinAsync(secondInstanceId);
        Assert.False(a.IsCompleted);
        await Coordinator.LeaveAsync(new LeaveGroupInput(Group, [new LeavingMember(blocker.MemberId, null)]));
        var first = await a;
        var second = await b;
        Assert.Equal(first.GenerationId, second.GenerationId);
        var (leader, follower) = first.Members.Count > 0 ? (first, second) : (second, first);
        var leaderSync = await Coordinator.SyncAsync(SyncInput(leader, [new(leader.MemberId, new byte[] { 10 }), new(follower.MemberId, new byte[] { 20 })]));
        Assert.Equal(ErrorCode.None, leaderSync.Error);
        Assert.Equal(ErrorCode.None, (await Coordinator.SyncAsync(SyncInput(follower))).Error);
        return (leader, follower);
    }

    public static SyncGroupInput SyncInput(JoinGroupResult joined, IReadOnlyList<GroupAssignment>? assignments = null, string? instanceId = null) =>
        new(Group, joined.GenerationId, joined.MemberId, instanceId, "consumer", joined.ProtocolName, assignments ?? []);

    public ErrorCode Heartbeat(JoinGroupResult joined, string? instanceId = null) =>
        Coordinator.HeartbeatAsync(new HeartbeatInput(Group, joined.GenerationId, joined.MemberId, instanceId)).Result;

    public string State(string group = Group) => Coordinator.DescribeGroups([group])[0].State;

    public async Task ReopenAsync()
    {
        await Coordinator.DisposeAsync();
        Coordinator = GroupCoordinator.Open(Directory, Options, Time);
    }

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
