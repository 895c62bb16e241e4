using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// SyncGroup: the leader's call stores the assignments and completes every parked follower;
    /// a follower's call waits for that during CompletingRebalance and answers at once when Stable.
    /// </summary>
    public ValueTask<SyncGroupResult> SyncAsync(SyncGroupInput input, CancellationToken cancellationToken = default)
    {
        var waiter = Sync(input, out var immediate);
        return waiter is null ? ValueTask.FromResult(immediate!) : Wait(waiter, cancellationToken);
    }

    private TaskCompletionSource<SyncGroupResult>? Sync(SyncGroupInput input, out SyncGroupResult? immediate)
    {
        immediate = null;
        if (input.GroupId.Length == 0)
        {
            immediate = SyncGroupResult.Failed(ErrorCode.InvalidGroupId);
            return null;
        }

        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            immediate = SyncGroupResult.Failed(ErrorCode.UnknownMemberId);
            return null;
        }

        lock (group.Gate)
        {
            var error = ValidateSync(group, input);
            if (error != ErrorCode.None)
            {
                immediate = SyncGroupResult.Failed(error);
                return null;
            }

            var member = group.Get(input.MemberId)!;
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    immediate = SyncGroupResult.Failed(ErrorCode.RebalanceInProgress);
                    return null;

                case GroupState.CompletingRebalance:
                    // A SyncGroup still parked for this member (a retry) is superseded, as in Kafka.
                    var waiter = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    member.SyncWaiter = waiter;
                    MarkSynced(group, member.MemberId);
                    if (group.IsLeader(member.MemberId))
                    {
                        // Members the leader left out get an empty assignment; unknown ids are ignored.
                        var assignments = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
                        foreach (var assignment in input.Assignments)
                        {
                            assignments[assignment.MemberId] = assignment.Assignment;
                        }

                        foreach (var each in group.Members)
                        {
                            each.Assignment = assignments.GetValueOrDefault(each.MemberId, ReadOnlyMemory<byte>.Empty);
                        }

                        group.TransitionTo(GroupState.Stable, Now);
                        PropagateAssignment(group, ErrorCode.None);
                    }

                    return waiter;

                case GroupState.Stable:
                    MarkSynced(group, member.MemberId);
                    ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
                    immediate = new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, member.Assignment);
                    return null;

                default:
                    immediate = SyncGroupResult.Failed(ErrorCode.UnknownMemberId);
                    return null;
            }
        }
    }

    private static ErrorCode ValidateSync(ConsumerGroup group, SyncGroupInput input)
    {
        if (group.State == GroupState.Dead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        var error = ValidateCurrentMember(group, input.MemberId, input.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            return error;
        }

        if (input.GenerationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        if ((input.ProtocolType is not null && input.ProtocolType != group.ProtocolType)
            || (input.ProtocolName is not null && input.ProtocolName != group.ProtocolName))
        {
            return ErrorCode.InconsistentGroupProtocol;
        }

        return ErrorCode.None;
    }
}
