using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// Heartbeat: restarts the member's session; REBALANCE_IN_PROGRESS while the group prepares a
    /// rebalance tells the member to rejoin. Always completes synchronously.
    /// </summary>
    public ValueTask<ErrorCode> HeartbeatAsync(HeartbeatInput input, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Heartbeat(input));

    private ErrorCode Heartbeat(HeartbeatInput input)
    {
        if (input.GroupId.Length == 0)
        {
            return ErrorCode.InvalidGroupId;
        }

        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            return ErrorCode.UnknownMemberId;
        }

        lock (group.Gate)
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

            var member = group.Get(input.MemberId)!;
            switch (group.State)
            {
                case GroupState.Empty:
                    return ErrorCode.UnknownMemberId;
                case GroupState.PreparingRebalance:
                    ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
                    return ErrorCode.RebalanceInProgress;
                default:
                    // CompletingRebalance too: clients may heartbeat right after their join response.
                    ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
                    return ErrorCode.None;
            }
        }
    }
}
