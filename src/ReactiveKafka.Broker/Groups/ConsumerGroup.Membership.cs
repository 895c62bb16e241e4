using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>Heartbeats and leaves.</summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// Heartbeat: restarts the member's session; REBALANCE_IN_PROGRESS while the group prepares a
    /// rebalance tells the member to rejoin.
    /// </summary>
    public ErrorCode Heartbeat(HeartbeatInput input)
    {
        lock (_gate)
        {
            if (State == GroupState.Dead)
            {
                return ErrorCode.CoordinatorNotAvailable;
            }

            var error = ValidateMember(input.MemberId, input.GroupInstanceId);
            if (error != ErrorCode.None)
            {
                return error;
            }

            if (input.GenerationId != GenerationId)
            {
                return ErrorCode.IllegalGeneration;
            }

            var member = Get(input.MemberId)!;
            switch (State)
            {
                case GroupState.Empty:
                    return ErrorCode.UnknownMemberId;
                case GroupState.PreparingRebalance:
                    ScheduleSession(member);
                    return ErrorCode.RebalanceInProgress;
                default:
                    // CompletingRebalance too: clients may heartbeat right after their join response.
                    ScheduleSession(member);
                    return ErrorCode.None;
            }
        }
    }

    /// <summary>
    /// LeaveGroup with v3+ batch semantics: each member by id, or a static member by instance id with
    /// an empty member id (administrative removal). Removing members rebalances the group.
    /// </summary>
    public LeaveGroupResult Leave(LeaveGroupInput input)
    {
        lock (_gate)
        {
            if (State == GroupState.Dead)
            {
                return new LeaveGroupResult(ErrorCode.CoordinatorNotAvailable, []);
            }

            return new LeaveGroupResult(ErrorCode.None, [.. input.Members.Select(m => new LeftMember(m.MemberId, m.GroupInstanceId, LeaveOne(m)))]);
        }
    }

    private ErrorCode LeaveOne(LeavingMember leaving)
    {
        var reason = $"member {leaving.MemberId} {leaving.GroupInstanceId} left ({leaving.Reason ?? "no reason given"})";
        if (leaving.MemberId.Length == 0)
        {
            if (StaticMemberId(leaving.GroupInstanceId) is not { } staticMemberId)
            {
                return ErrorCode.UnknownMemberId;
            }

            RemoveMemberAndUpdateGroup(Get(staticMemberId)!, reason);
            return ErrorCode.None;
        }

        if (RemovePendingMember(leaving.MemberId))
        {
            TryCompleteJoin();
            return ErrorCode.None;
        }

        var error = ValidateMember(leaving.MemberId, leaving.GroupInstanceId);
        if (error == ErrorCode.None)
        {
            RemoveMemberAndUpdateGroup(Get(leaving.MemberId)!, reason);
        }

        return error;
    }
}
