using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// LeaveGroup with v3+ batch semantics: each member by id, or a static member by instance id with
    /// an empty member id (administrative removal). Removing members rebalances the group.
    /// </summary>
    public ValueTask<LeaveGroupResult> LeaveAsync(LeaveGroupInput input, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Leave(input));

    private LeaveGroupResult Leave(LeaveGroupInput input)
    {
        if (input.GroupId.Length == 0)
        {
            return new LeaveGroupResult(ErrorCode.InvalidGroupId, []);
        }

        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            return new LeaveGroupResult(ErrorCode.None, [.. input.Members.Select(m => new LeftMember(m.MemberId, m.GroupInstanceId, ErrorCode.UnknownMemberId))]);
        }

        lock (group.Gate)
        {
            if (group.State == GroupState.Dead)
            {
                return new LeaveGroupResult(ErrorCode.CoordinatorNotAvailable, []);
            }

            return new LeaveGroupResult(ErrorCode.None, [.. input.Members.Select(m => new LeftMember(m.MemberId, m.GroupInstanceId, LeaveOne(group, m)))]);
        }
    }

    private ErrorCode LeaveOne(ConsumerGroup group, LeavingMember leaving)
    {
        var reason = $"member {leaving.MemberId} {leaving.GroupInstanceId} left ({leaving.Reason ?? "no reason given"})";
        if (leaving.MemberId.Length == 0)
        {
            if (group.StaticMemberId(leaving.GroupInstanceId) is not { } staticMemberId)
            {
                return ErrorCode.UnknownMemberId;
            }

            RemoveMemberAndUpdateGroup(group, group.Get(staticMemberId)!, reason);
            return ErrorCode.None;
        }

        if (group.RemovePendingMember(leaving.MemberId))
        {
            TryCompleteJoin(group);
            return ErrorCode.None;
        }

        var error = ValidateCurrentMember(group, leaving.MemberId, leaving.GroupInstanceId);
        if (error == ErrorCode.None)
        {
            RemoveMemberAndUpdateGroup(group, group.Get(leaving.MemberId)!, reason);
        }

        return error;
    }
}
