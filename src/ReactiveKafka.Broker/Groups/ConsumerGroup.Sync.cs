using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// SyncGroup: the leader's call stores the assignments and completes every parked follower; a
    /// follower's call waits for that during CompletingRebalance (the returned response to wait for) and
    /// is answered at once when Stable or on error (null, with <paramref name="immediate"/> set).
    /// </summary>
    public TaskCompletionSource<SyncGroupResult>? Sync(SyncGroupInput input, out SyncGroupResult? immediate)
    {
        lock (_gate)
        {
            immediate = null;
            var error = ValidateSync(input);
            if (error != ErrorCode.None)
            {
                immediate = SyncGroupResult.Failed(error);
                return null;
            }

            var member = Get(input.MemberId)!;
            switch (State)
            {
                case GroupState.PreparingRebalance:
                    immediate = SyncGroupResult.Failed(ErrorCode.RebalanceInProgress);
                    return null;

                case GroupState.CompletingRebalance:
                    // A SyncGroup still parked for this member (a retry) is superseded, as in Kafka.
                    var waiter = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    member.SyncWaiter = waiter;
                    MarkSynced(member.MemberId);
                    if (IsLeader(member.MemberId))
                    {
                        SetAssignments(input.Assignments);
                        TransitionTo(GroupState.Stable);
                        StoreStableGeneration();
                        PropagateAssignment(ErrorCode.None);
                    }

                    return waiter;

                case GroupState.Stable:
                    MarkSynced(member.MemberId);
                    ScheduleSession(member);
                    immediate = new SyncGroupResult(ErrorCode.None, ProtocolType, ProtocolName, member.Assignment);
                    return null;

                default:
                    immediate = SyncGroupResult.Failed(ErrorCode.UnknownMemberId);
                    return null;
            }
        }
    }

    /// <summary>Members the leader left out get an empty assignment; unknown ids are ignored.</summary>
    private void SetAssignments(IReadOnlyList<GroupAssignment> assignments)
    {
        var byMember = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            byMember[assignment.MemberId] = assignment.Assignment;
        }

        foreach (var each in _members.Values)
        {
            each.Assignment = byMember.GetValueOrDefault(each.MemberId, ReadOnlyMemory<byte>.Empty);
        }
    }

    private ErrorCode ValidateSync(SyncGroupInput input)
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

        if ((input.ProtocolType is not null && input.ProtocolType != ProtocolType)
            || (input.ProtocolName is not null && input.ProtocolName != ProtocolName))
        {
            return ErrorCode.InconsistentGroupProtocol;
        }

        return ErrorCode.None;
    }
}
