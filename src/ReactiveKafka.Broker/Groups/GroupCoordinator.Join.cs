using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// JoinGroup: completes at once for errors, MEMBER_ID_REQUIRED (v4+ first join of a dynamic
    /// member) and rejoins that need no rebalance; otherwise when the rebalance completes.
    /// </summary>
    public ValueTask<JoinGroupResult> JoinAsync(JoinGroupInput input, CancellationToken cancellationToken = default)
    {
        var waiter = Join(input, out var immediate);
        return waiter is null ? ValueTask.FromResult(immediate!) : Wait(waiter, cancellationToken);
    }

    private TaskCompletionSource<JoinGroupResult>? Join(JoinGroupInput input, out JoinGroupResult? immediate)
    {
        immediate = null;
        if (input.GroupId.Length == 0)
        {
            immediate = JoinGroupResult.Failed(ErrorCode.InvalidGroupId, input.MemberId);
            return null;
        }

        if (input.SessionTimeoutMs < _options.MinSessionTimeout.TotalMilliseconds || input.SessionTimeoutMs > _options.MaxSessionTimeout.TotalMilliseconds)
        {
            immediate = JoinGroupResult.Failed(ErrorCode.InvalidSessionTimeout, input.MemberId);
            return null;
        }

        var isUnknownMember = input.MemberId.Length == 0;
        ConsumerGroup? group;
        if (isUnknownMember)
        {
            group = _groups.GetOrAdd(input.GroupId, static (id, now) => new ConsumerGroup(id, now), Now);
        }
        else if (!_groups.TryGetValue(input.GroupId, out group))
        {
            immediate = JoinGroupResult.Failed(ErrorCode.UnknownMemberId, input.MemberId);
            return null;
        }

        lock (group.Gate)
        {
            TaskCompletionSource<JoinGroupResult>? waiter = null;
            if (group.State == GroupState.Dead)
            {
                // Deleted a moment ago: the client looks the coordinator up again and retries.
                immediate = JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, input.MemberId);
            }
            else if (!AcceptsJoiningMember(group, input.MemberId))
            {
                immediate = JoinGroupResult.Failed(ErrorCode.GroupMaxSizeReached, input.MemberId);
            }
            else if (!group.SupportsProtocols(input.ProtocolType, input.Protocols))
            {
                immediate = JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, input.MemberId);
            }
            else
            {
                waiter = isUnknownMember ? JoinNewMember(group, input, out immediate) : JoinCurrentMember(group, input, out immediate);
            }

            TryCompleteJoin(group);
            return waiter;
        }
    }

    private bool AcceptsJoiningMember(ConsumerGroup group, string memberId) => group.State switch
    {
        GroupState.Empty or GroupState.Dead => true,
        GroupState.PreparingRebalance => group.Get(memberId) is { IsAwaitingJoin: true } || group.Members.Count(m => m.IsAwaitingJoin) < _options.MaxGroupSize,
        _ => group.Has(memberId) || group.Size < _options.MaxGroupSize,
    };

    private TaskCompletionSource<JoinGroupResult>? JoinNewMember(ConsumerGroup group, JoinGroupInput input, out JoinGroupResult? immediate)
    {
        immediate = null;
        var memberId = $"{input.ClientId}-{Guid.NewGuid()}";
        if (input.GroupInstanceId is not null)
        {
            return JoinStaticMember(group, input, memberId, out immediate);
        }

        if (input.RequestVersion >= 4)
        {
            // KIP-394: hand out the id first, so a client that times out does not leave a ghost
            // member behind. The id is pending (it blocks the rebalance) until it joins or expires.
            AddPendingMember(group, memberId, input.SessionTimeoutMs);
            immediate = JoinGroupResult.Failed(ErrorCode.MemberIdRequired, memberId);
            return null;
        }

        return AddMemberAndRebalance(group, memberId, input);
    }

    private TaskCompletionSource<JoinGroupResult>? JoinCurrentMember(ConsumerGroup group, JoinGroupInput input, out JoinGroupResult? immediate)
    {
        immediate = null;
        if (group.PendingMembers.ContainsKey(input.MemberId))
        {
            if (input.GroupInstanceId is not null)
            {
                // Pending ids are only handed to dynamic members; a static one must join with an empty id.
                immediate = JoinGroupResult.Failed(ErrorCode.UnknownMemberId, input.MemberId);
                return null;
            }

            return AddMemberAndRebalance(group, input.MemberId, input);
        }

        var error = ValidateCurrentMember(group, input.MemberId, input.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            immediate = JoinGroupResult.Failed(error, input.MemberId);
            return null;
        }

        var member = group.Get(input.MemberId)!;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(group, member, input);

            case GroupState.CompletingRebalance when member.Matches(input.Protocols):
                // The member probably lost its join response: send the current generation again.
                immediate = CurrentGenerationFor(group, member, withMembers: group.IsLeader(member.MemberId));
                return null;

            case GroupState.CompletingRebalance:
                return UpdateMemberAndRebalance(group, member, input);

            case GroupState.Stable when group.IsLeader(member.MemberId) || !member.Matches(input.Protocols):
                // A leader's rejoin means it wants to reassign (e.g. metadata changed): rebalance.
                return UpdateMemberAndRebalance(group, member, input);

            case GroupState.Stable:
                // A follower rejoining with unchanged metadata: nothing to rebalance.
                immediate = CurrentGenerationFor(group, member, withMembers: false);
                return null;

            default:
                immediate = JoinGroupResult.Failed(ErrorCode.UnknownMemberId, input.MemberId);
                return null;
        }
    }

    /// <summary>
    /// A static member joining with an empty member id: new instance ids join normally; a known
    /// instance id takes over the old member id, whose parked responses get FENCED_INSTANCE_ID.
    /// </summary>
    private TaskCompletionSource<JoinGroupResult>? JoinStaticMember(ConsumerGroup group, JoinGroupInput input, string newMemberId, out JoinGroupResult? immediate)
    {
        immediate = null;
        if (group.StaticMemberId(input.GroupInstanceId) is not { } oldMemberId)
        {
            return AddMemberAndRebalance(group, newMemberId, input);
        }

        var old = group.Get(oldMemberId)!;
        var previousLeader = group.LeaderId;
        CompleteJoin(old, JoinGroupResult.Failed(ErrorCode.FencedInstanceId, oldMemberId));
        CompleteSync(old, SyncGroupResult.Failed(ErrorCode.FencedInstanceId));
        var member = group.ReplaceStaticMember(old, newMemberId);
        _logger.LogInformation("Static member {InstanceId} of group {GroupId} replaced member {OldMemberId} by {MemberId}", input.GroupInstanceId, group.GroupId, oldMemberId, newMemberId);
        ScheduleSession(group, member, TimeSpan.FromMilliseconds(input.SessionTimeoutMs));
        var waiter = UpdateMember(group, member, input);
        switch (group.State)
        {
            case GroupState.Stable when group.SelectProtocol() == group.ProtocolName:
                // A restarted static member with compatible metadata keeps the current assignment:
                // no rebalance (KIP-345). Since KIP-814 (JoinGroup v9+) a static leader learns it leads
                // but must skip the assignment; older versions are told the previous leader's id so
                // that the restarted member does not assign at all.
                var isLeader = group.IsLeader(newMemberId);
                var modern = input.RequestVersion >= 9;
                CompleteJoin(member, new JoinGroupResult(
                    ErrorCode.None, group.GenerationId, group.ProtocolType, group.ProtocolName,
                    modern ? group.LeaderId ?? "" : previousLeader ?? "",
                    SkipAssignment: modern && isLeader,
                    newMemberId,
                    modern && isLeader ? group.CurrentMemberMetadata() : []));
                break;
            case GroupState.Stable:
                MaybePrepareRebalance(group, $"static member {input.GroupInstanceId} rejoined with a protocol change");
                break;
            case GroupState.CompletingRebalance:
                // The leader may already assign to the old member id; rebalance so the new id gets a share.
                PrepareRebalance(group, $"static member {input.GroupInstanceId} rejoined during CompletingRebalance");
                break;
        }

        return waiter;
    }

    private TaskCompletionSource<JoinGroupResult> AddMemberAndRebalance(ConsumerGroup group, string memberId, JoinGroupInput input)
    {
        var member = new GroupMember(
            memberId, input.GroupInstanceId, input.ClientId, input.ClientHost,
            input.RebalanceTimeoutMs, input.SessionTimeoutMs, input.ProtocolType, input.Protocols)
        {
            IsNew = true,
        };
        if (group.State == GroupState.PreparingRebalance && group.GenerationId == 0)
        {
            group.NewMemberAdded = true;
        }

        var waiter = NewJoinWaiter();
        member.JoinWaiter = waiter;
        group.Add(member);
        ScheduleSession(group, member, _options.NewMemberJoinTimeout);
        MaybePrepareRebalance(group, $"member {memberId} joined ({input.Reason ?? "no reason given"})");
        return waiter;
    }

    private TaskCompletionSource<JoinGroupResult> UpdateMemberAndRebalance(ConsumerGroup group, GroupMember member, JoinGroupInput input)
    {
        var waiter = UpdateMember(group, member, input);
        MaybePrepareRebalance(group, $"member {member.MemberId} rejoined ({input.Reason ?? "no reason given"})");
        return waiter;
    }

    /// <summary>
    /// Takes the rejoin's protocols and timeouts and parks its response. A join response still parked
    /// for the same member (a retry on a new connection) is superseded and never answered, as in Kafka.
    /// </summary>
    private static TaskCompletionSource<JoinGroupResult> UpdateMember(ConsumerGroup group, GroupMember member, JoinGroupInput input)
    {
        group.UpdateProtocols(member, input.Protocols);
        member.RebalanceTimeoutMs = input.RebalanceTimeoutMs;
        member.SessionTimeoutMs = input.SessionTimeoutMs;
        member.ClientId = input.ClientId;
        member.ClientHost = input.ClientHost;
        member.JoinWaiter = NewJoinWaiter();
        return member.JoinWaiter;
    }

    private void AddPendingMember(ConsumerGroup group, string memberId, int sessionTimeoutMs)
    {
        group.PendingMembers[memberId] = _time.CreateTimer(
            _ => ExpirePendingMember(group, memberId),
            null,
            TimeSpan.FromMilliseconds(sessionTimeoutMs),
            Timeout.InfiniteTimeSpan);
    }

    private void ExpirePendingMember(ConsumerGroup group, string memberId)
    {
        lock (group.Gate)
        {
            if (!_disposed && group.RemovePendingMember(memberId))
            {
                _logger.LogInformation("Pending member {MemberId} of group {GroupId} did not join in time", memberId, group.GroupId);
                TryCompleteJoin(group);
            }
        }
    }

    private static JoinGroupResult CurrentGenerationFor(ConsumerGroup group, GroupMember member, bool withMembers) =>
        new(ErrorCode.None, group.GenerationId, group.ProtocolType, group.ProtocolName, group.LeaderId ?? "",
            SkipAssignment: false, member.MemberId, withMembers ? group.CurrentMemberMetadata() : []);

    private static TaskCompletionSource<JoinGroupResult> NewJoinWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers the member's parked JoinGroup, if any.</summary>
    private static void CompleteJoin(GroupMember member, JoinGroupResult result)
    {
        member.JoinWaiter?.TrySetResult(result);
        member.JoinWaiter = null;
    }
}
