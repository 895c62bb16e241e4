using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>The coordinator's own timers on the system clock, with timeouts shrunk to milliseconds.</summary>
public sealed class RealTimeGroupTests
{
    private static readonly GroupCoordinatorOptions Fast = new()
    {
        InitialRebalanceDelay = TimeSpan.FromMilliseconds(100),
        MinSessionTimeout = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task Join_TwoMembersWithinInitialDelay_ShareTheFirstGeneration()
    {
        await using var h = new GroupHarness(Fast, TimeProvider.System);

        var a = await h.StartJoinAsync(sessionMs: 5_000, rebalanceMs: 5_000);
        var b = await h.StartJoinAsync(sessionMs: 5_000, rebalanceMs: 5_000);
        var both = await Task.WhenAll(a.AsTask(), b.AsTask()).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.All(both, r => Assert.Equal((ErrorCode.None, 1), (r.Error, r.GenerationId)));
    }

    [Fact]
    public async Task SessionTimeout_SilentMember_IsExpiredByTheCoordinator()
    {
        await using var h = new GroupHarness(Fast, TimeProvider.System);
        var joined = await (await h.StartJoinAsync(sessionMs: 300, rebalanceMs: 10_000));
        await h.Coordinator.SyncAsync(GroupHarness.SyncInput(joined, [new(joined.MemberId, new byte[] { 1 })]));
        Assert.Equal("Stable", h.State());

        await OffsetCommitTests.WaitUntil(() => h.State() == "Empty");

        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(joined));
    }
}
