using System.Buffers.Binary;
using System.Text;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>One group's own transitions, on virtual time, without a coordinator.</summary>
public sealed class ConsumerGroupTransitionTests
{
    private const int SessionMs = 10_000;

    [Fact]
    public async Task JoinThenSync_OneMember_IsStableWithItsAssignment()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);

        var joined = JoinAndWait(group, host, rebalanceMs: 30_000);
        var synced = group.Sync(SyncInput(joined, [new GroupAssignment(joined.MemberId, new byte[] { 7 })]), out _)!;

        Assert.Equal((ErrorCode.None, 1), (joined.Error, joined.GenerationId));
        Assert.True(synced.Task.IsCompletedSuccessfully);
        Assert.Equal(new byte[] { 7 }, (await synced.Task).Assignment.ToArray());
        Assert.Equal(GroupState.Stable, group.State);
        Assert.Contains(host.Log, r => r is OffsetLogRecord.Group { Value.GenerationId: 1 });
    }

    [Fact]
    public async Task PendingSync_SyncGroupWithinTheRebalanceTimeout_MemberKeptPastItsSessionTimeout()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);
        var joined = JoinAndWait(group, host, rebalanceMs: 30_000);

        // Heartbeats keep the session; the pending sync may take up to the rebalance timeout.
        for (var i = 0; i < 2; i++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(SessionMs - 1_000));
            Assert.Equal(ErrorCode.None, group.Heartbeat(new HeartbeatInput("g", joined.GenerationId, joined.MemberId, null)));
        }

        var synced = group.Sync(SyncInput(joined, [new GroupAssignment(joined.MemberId, new byte[] { 1 })]), out _);

        Assert.True(synced!.Task.IsCompleted);
        Assert.Equal(ErrorCode.None, (await synced.Task).Error);
        for (var i = 0; i < 2; i++)
        {
            // Past the 30 s pending-sync deadline: the synced member stays.
            host.Time.Advance(TimeSpan.FromMilliseconds(SessionMs - 1_000));
            Assert.Equal(ErrorCode.None, group.Heartbeat(new HeartbeatInput("g", joined.GenerationId, joined.MemberId, null)));
        }

        Assert.Equal(GroupState.Stable, group.State);
    }

    [Fact]
    public void PendingSync_NoSyncGroupWithinTheRebalanceTimeout_MemberRemovedAndGroupEmpty()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);
        var joined = JoinAndWait(group, host, rebalanceMs: 5_000);

        host.Time.Advance(TimeSpan.FromMilliseconds(4_999));
        Assert.Equal(GroupState.CompletingRebalance, group.State);
        host.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(GroupState.Empty, group.State);
        Assert.Null(group.Sync(SyncInput(joined, []), out var late));
        Assert.Equal(ErrorCode.UnknownMemberId, late!.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void PendingSync_RebalanceTimeoutZeroOrUnset_ExpiresAtOnceAsInKafka(int rebalanceMs)
    {
        // Kafka's group rebalance timeout is the largest of the members', folded from 0, and its
        // pending-sync timer runs for that long: a member that joins with 0 (or the unset -1) must
        // sync at once. A -1 used to make every timer of the group infinite here.
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);
        var joined = JoinAndWait(group, host, rebalanceMs);

        host.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(GroupState.Empty, group.State);
        group.Sync(SyncInput(joined, []), out var late);
        Assert.Equal(ErrorCode.UnknownMemberId, late!.Error);
    }

    [Fact]
    public void Commit_NegativeGenerationWithAMemberIdToAnEmptyGroup_AcceptedAsInKafka()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);

        var (errors, write) = group.Commit(new OffsetCommitInput("g", -1, "left-over-member-id", null, [new("t", 0, 9)]));

        Assert.Equal([ErrorCode.None], errors);
        Assert.NotNull(write);
        Assert.Equal(9, Assert.Single(host.GetOffsets("g")).Value.Offset);
    }

    [Fact]
    public void DeleteOffsets_StableConsumerGroup_RefusesSubscribedTopicsAndDeletesOthers()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);
        var joined = JoinAndWait(group, host, rebalanceMs: 30_000, protocols: [new GroupProtocol("range", Subscription("orders"))]);
        group.Sync(SyncInput(joined, []), out _);
        _ = host.Append([Committed("orders", 0), Committed("audit", 0)]);

        var (error, partitions, _) = group.DeleteOffsets([new("orders", 0), new("audit", 0), new("never-committed", 0)]);

        Assert.Equal(ErrorCode.None, error);
        Assert.Equal([ErrorCode.GroupSubscribedToTopic, ErrorCode.None, ErrorCode.None], partitions.Select(p => p.Error));
        Assert.Equal(["orders"], host.GetOffsets("g").Select(o => o.Key.Topic));
    }

    [Fact]
    public void DeleteOffsets_NonConsumerGroupWithMembers_NonEmptyGroup()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);
        JoinAndWait(group, host, rebalanceMs: 30_000, protocolType: "connect");

        var (error, partitions, write) = group.DeleteOffsets([new("t", 0)]);

        Assert.Equal((ErrorCode.NonEmptyGroup, 0, null), (error, partitions.Count, write));
    }

    [Fact]
    public void Delete_EmptyGroup_DeadForgottenAndTombstoned()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);

        var error = group.Delete(out var write);

        Assert.Equal(ErrorCode.None, error);
        Assert.NotNull(write);
        Assert.Equal(GroupState.Dead, group.State);
        Assert.Same(group, Assert.Single(host.Forgotten));
        Assert.IsType<OffsetLogRecord.GroupTombstone>(host.Log.Last());
        Assert.Equal(ErrorCode.GroupIdNotFound, group.Delete(out _));
    }

    [Fact]
    public void List_StatesFilter_OnlyMatchingStates()
    {
        var host = new TestGroupHost();
        var group = new ConsumerGroup("g", host);

        Assert.NotNull(group.List(null));
        Assert.NotNull(group.List(new HashSet<GroupState?> { GroupState.Empty }));
        Assert.Null(group.List(new HashSet<GroupState?> { GroupState.Stable, null }));
    }

    private static JoinGroupResult JoinAndWait(ConsumerGroup group, TestGroupHost host, int rebalanceMs, IReadOnlyList<GroupProtocol>? protocols = null, string protocolType = "consumer")
    {
        var input = new JoinGroupInput("g", SessionMs, rebalanceMs, "", null, protocolType, protocols ?? [new GroupProtocol("range", Subscription("t"))], "client", "/127.0.0.1", 5);
        var waiter = group.Join(input, out var immediate);
        Assert.Null(waiter);
        Assert.Equal(ErrorCode.MemberIdRequired, immediate!.Error);
        waiter = group.Join(input with { MemberId = immediate.MemberId }, out _);
        Assert.True(waiter!.Task.IsCompletedSuccessfully);
        return waiter.Task.Result;
    }

    private static SyncGroupInput SyncInput(JoinGroupResult joined, IReadOnlyList<GroupAssignment> assignments) =>
        new("g", joined.GenerationId, joined.MemberId, null, null, joined.ProtocolName, assignments);

    private static OffsetLogRecord Committed(string topic, int partition) =>
        new OffsetLogRecord.Commit("g", new GroupTopicPartition(topic, partition), new CommittedOffset(1, -1, "", DateTimeOffset.UnixEpoch, null));

    /// <summary>A consumer-protocol subscription as clients send it: version 0, topics, null user data.</summary>
    private static byte[] Subscription(params string[] topics)
    {
        var bytes = new List<byte>();
        void Int16(int v) => bytes.AddRange(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness((short)v)));
        void Int32(int v) => bytes.AddRange(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(v)));
        Int16(0);
        Int32(topics.Length);
        foreach (var topic in topics)
        {
            Int16(topic.Length);
            bytes.AddRange(Encoding.UTF8.GetBytes(topic));
        }

        Int32(-1);
        return [.. bytes];
    }
}
