using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// JoinGroup (the coordinator validated the group id and session timeout): returns the parked
    /// response to wait for, or null with <paramref name="immediate"/> set — errors, MEMBER_ID_REQUIRED
    /// (v4+ first join of a dynamic member) and rejoins that need no rebalance.
    /// </summary>
    public TaskCompletionSource<JoinGroupResult>? Join(JoinGroupInput input, out JoinGroupResult? immediate)
    {
        lock (_gate)
        {
            immediate = null;
            TaskCompletionSource<JoinGroupResult>? waiter = null;
            if (State == GroupState.Dead)
            {
                // Deleted a moment ago: the client looks the coordinator up again and retries.
                immediate = JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, input.MemberId);
            }
            else if (!AcceptsJoiningMember(input.MemberId))
            {
                immediate = JoinGroupResult.Failed(ErrorCode.GroupMaxSizeReached, input.MemberId);
            }
            else if (!SupportsProtocols(input.ProtocolType, input.Protocols))
            {
                immediate = JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, input.MemberId);
            }
            else
            {
                waiter = input.MemberId.Length == 0 ? JoinNewMember(input, out immediate) : JoinCurrentMember(input, out immediate);
            }

            TryCompleteJoin();
            return waiter;
        }
    }

    private bool AcceptsJoiningMember(string memberId) => State switch
    {
        GroupState.Empty or GroupState.Dead => true,
        GroupState.PreparingRebalance => Get(memberId) is { IsAwaitingJoin: true } || _members.Values.Count(m => m.IsAwaitingJoin) < Options.MaxGroupSize,
        _ => Has(memberId) || Size < Options.MaxGroupSize,
    };

    private TaskCompletionSource<JoinGroupResult>? JoinNewMember(JoinGroupInput input, out JoinGroupResult? immediate)
    {
        immediate = null;
        var memberId = $"{input.ClientId}-{Guid.NewGuid()}";
        if (input.GroupInstanceId is not null)
        {
            return JoinStaticMember(input, memberId, out immediate);
        }

        if (input.RequestVersion >= 4)
        {
            // KIP-394: hand out the id first, so a client that times out does not leave a ghost
            // member behind. The id is pending (it blocks the rebalance) until it joins or expires.
            AddPendingMember(memberId, input.SessionTimeoutMs);
            immediate = JoinGroupResult.Failed(ErrorCode.MemberIdRequired, memberId);
            return null;
        }

        return AddMemberAndRebalance(memberId, input);
    }

    private TaskCompletionSource<JoinGroupResult>? JoinCurrentMember(JoinGroupInput input, out JoinGroupResult? immediate)
    {
        immediate = null;
        if (_pendingMembers.ContainsKey(input.MemberId))
        {
            if (input.GroupInstanceId is not null)
            {
                // Pending ids are only handed to dynamic members; a static one must join with an empty id.
                immediate = JoinGroupResult.Failed(ErrorCode.UnknownMemberId, input.MemberId);
                return null;
            }

            return AddMemberAndRebalance(input.MemberId, input);
        }

        var error = ValidateMember(input.MemberId, input.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            immediate = JoinGroupResult.Failed(error, input.MemberId);
            return null;
        }

        var member = Get(input.MemberId)!;
        switch (State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(member, input);

            case GroupState.CompletingRebalance when member.Matches(input.Protocols):
                // The member probably lost its join response: send the current generation again.
                immediate = CurrentGenerationFor(member, withMembers: IsLeader(member.MemberId));
                return null;

            case GroupState.CompletingRebalance:
                return UpdateMemberAndRebalance(member, input);

            case GroupState.Stable when IsLeader(member.MemberId) || !member.Matches(input.Protocols):
                // A leader's rejoin means it wants to reassign (e.g. metadata changed): rebalance.
                return UpdateMemberAndRebalance(member, input);

            case GroupState.Stable:
                // A follower rejoining with unchanged metadata: nothing to rebalance.
                immediate = CurrentGenerationFor(member, withMembers: false);
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
    private TaskCompletionSource<JoinGroupResult>? JoinStaticMember(JoinGroupInput input, string newMemberId, out JoinGroupResult? immediate)
    {
        immediate = null;
        if (StaticMemberId(input.GroupInstanceId) is not { } oldMemberId)
        {
            return AddMemberAndRebalance(newMemberId, input);
        }

        var old = Get(oldMemberId)!;
        var previousLeader = LeaderId;
        CompleteJoin(old, JoinGroupResult.Failed(ErrorCode.FencedInstanceId, oldMemberId));
        CompleteSync(old, SyncGroupResult.Failed(ErrorCode.FencedInstanceId));
        var member = ReplaceStaticMember(old, newMemberId);
        Logger.LogInformation("Static member {InstanceId} of group {GroupId} replaced member {OldMemberId} by {MemberId}", input.GroupInstanceId, GroupId, oldMemberId, newMemberId);
        ScheduleSession(member, TimeSpan.FromMilliseconds(input.SessionTimeoutMs));
        var waiter = UpdateMember(member, input);
        switch (State)
        {
            case GroupState.Stable when SelectProtocol() == ProtocolName:
                // A restarted static member with compatible metadata keeps the current assignment:
                // no rebalance (KIP-345). Since KIP-814 (JoinGroup v9+) a static leader learns it leads
                // but must skip the assignment; older versions are told the previous leader's id so
                // that the restarted member does not assign at all.
                var isLeader = IsLeader(newMemberId);
                var modern = input.RequestVersion >= 9;
                CompleteJoin(member, new JoinGroupResult(
                    ErrorCode.None, GenerationId, ProtocolType, ProtocolName,
                    modern ? LeaderId ?? "" : previousLeader ?? "",
                    SkipAssignment: modern && isLeader,
                    newMemberId,
                    modern && isLeader ? CurrentMemberMetadata() : []));
                StoreStableGeneration();
                break;
            case GroupState.Stable:
                MaybePrepareRebalance($"static member {input.GroupInstanceId} rejoined with a protocol change");
                break;
            case GroupState.CompletingRebalance:
                // The leader may already assign to the old member id; rebalance so the new id gets a share.
                PrepareRebalance($"static member {input.GroupInstanceId} rejoined during CompletingRebalance");
                break;
        }

        return waiter;
    }

    private TaskCompletionSource<JoinGroupResult> AddMemberAndRebalance(string memberId, JoinGroupInput input)
    {
        var member = new GroupMember(
            memberId, input.GroupInstanceId, input.ClientId, input.ClientHost,
            input.RebalanceTimeoutMs, input.SessionTimeoutMs, input.ProtocolType, input.Protocols)
        {
            IsNew = true,
        };
        if (State == GroupState.PreparingRebalance && GenerationId == 0)
        {
            _newMemberAdded = true;
        }

        var waiter = NewJoinWaiter();
        member.JoinWaiter = waiter;
        Add(member);
        ScheduleSession(member, Options.NewMemberJoinTimeout);
        MaybePrepareRebalance($"member {memberId} joined ({input.Reason ?? "no reason given"})");
        return waiter;
    }

    private TaskCompletionSource<JoinGroupResult> UpdateMemberAndRebalance(GroupMember member, JoinGroupInput input)
    {
        var waiter = UpdateMember(member, input);
        MaybePrepareRebalance($"member {member.MemberId} rejoined ({input.Reason ?? "no reason given"})");
        return waiter;
    }

    /// <summary>
    /// Takes the rejoin's protocols and timeouts and parks its response. A join response still parked
    /// for the same member (a retry on a new connection) is superseded and never answered, as in Kafka.
    /// </summary>
    private TaskCompletionSource<JoinGroupResult> UpdateMember(GroupMember member, JoinGroupInput input)
    {
        UpdateProtocols(member, input.Protocols);
        member.RebalanceTimeoutMs = input.RebalanceTimeoutMs;
        member.SessionTimeoutMs = input.SessionTimeoutMs;
        member.ClientId = input.ClientId;
        member.ClientHost = input.ClientHost;
        member.JoinWaiter = NewJoinWaiter();
        return member.JoinWaiter;
    }

    private JoinGroupResult CurrentGenerationFor(GroupMember member, bool withMembers) =>
        new(ErrorCode.None, GenerationId, ProtocolType, ProtocolName, LeaderId ?? "",
            SkipAssignment: false, member.MemberId, withMembers ? CurrentMemberMetadata() : []);

    private static TaskCompletionSource<JoinGroupResult> NewJoinWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>NONE for a current member; FENCED_INSTANCE_ID when its static instance id is bound to another member id.</summary>
    private ErrorCode ValidateMember(string memberId, string? groupInstanceId)
    {
        // A static instance bound to another member id means this member was replaced: fenced.
        if (StaticMemberId(groupInstanceId) is { } current && current != memberId)
        {
            return ErrorCode.FencedInstanceId;
        }

        return Has(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }
}
