using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>JoinGroup, SyncGroup, Heartbeat and LeaveGroup: what needs no group is answered here, the rest by the group.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// JoinGroup: completes at once for errors, MEMBER_ID_REQUIRED (v4+ first join of a dynamic
    /// member) and rejoins that need no rebalance; otherwise when the rebalance completes.
    /// </summary>
    public ValueTask<JoinGroupResult> JoinAsync(JoinGroupInput input, CancellationToken cancellationToken = default)
    {
        if (input.GroupId.Length == 0)
        {
            return ValueTask.FromResult(JoinGroupResult.Failed(ErrorCode.InvalidGroupId, input.MemberId));
        }

        if (input.SessionTimeoutMs < _options.MinSessionTimeout.TotalMilliseconds || input.SessionTimeoutMs > _options.MaxSessionTimeout.TotalMilliseconds)
        {
            return ValueTask.FromResult(JoinGroupResult.Failed(ErrorCode.InvalidSessionTimeout, input.MemberId));
        }

        ConsumerGroup? group;
        if (input.MemberId.Length == 0)
        {
            group = GetOrCreate(input.GroupId);
        }
        else if (!_groups.TryGetValue(input.GroupId, out group))
        {
            return ValueTask.FromResult(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, input.MemberId));
        }

        var waiter = group.Join(input, out var immediate);
        return waiter is null ? ValueTask.FromResult(immediate!) : Wait(waiter, cancellationToken);
    }

    /// <summary>
    /// SyncGroup: the leader's call stores the assignments and completes every parked follower;
    /// a follower's call waits for that during CompletingRebalance and answers at once when Stable.
    /// </summary>
    public ValueTask<SyncGroupResult> SyncAsync(SyncGroupInput input, CancellationToken cancellationToken = default)
    {
        if (input.GroupId.Length == 0)
        {
            return ValueTask.FromResult(SyncGroupResult.Failed(ErrorCode.InvalidGroupId));
        }

        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            return ValueTask.FromResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
        }

        var waiter = group.Sync(input, out var immediate);
        return waiter is null ? ValueTask.FromResult(immediate!) : Wait(waiter, cancellationToken);
    }

    /// <summary>
    /// Heartbeat: restarts the member's session; REBALANCE_IN_PROGRESS while the group prepares a
    /// rebalance tells the member to rejoin. Always completes synchronously.
    /// </summary>
    public ValueTask<ErrorCode> HeartbeatAsync(HeartbeatInput input, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(
            input.GroupId.Length == 0 ? ErrorCode.InvalidGroupId
            : _groups.TryGetValue(input.GroupId, out var group) ? group.Heartbeat(input)
            : ErrorCode.UnknownMemberId);

    /// <summary>
    /// LeaveGroup with v3+ batch semantics: each member by id, or a static member by instance id with
    /// an empty member id (administrative removal). Removing members rebalances the group.
    /// </summary>
    public ValueTask<LeaveGroupResult> LeaveAsync(LeaveGroupInput input, CancellationToken cancellationToken = default)
    {
        if (input.GroupId.Length == 0)
        {
            return ValueTask.FromResult(new LeaveGroupResult(ErrorCode.InvalidGroupId, []));
        }

        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            return ValueTask.FromResult(new LeaveGroupResult(ErrorCode.None, [.. input.Members.Select(m => new LeftMember(m.MemberId, m.GroupInstanceId, ErrorCode.UnknownMemberId))]));
        }

        return ValueTask.FromResult(group.Leave(input));
    }
}
