using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>Starting and completing rebalances, and the expiries that drive them; every method here runs under the lock.</summary>
internal sealed partial class ConsumerGroup
{
    private void MaybePrepareRebalance(string reason)
    {
        if (CanRebalance)
        {
            PrepareRebalance(reason);
        }
    }

    private void PrepareRebalance(string reason)
    {
        if (State == GroupState.CompletingRebalance)
        {
            // Followers parked in SyncGroup must rejoin: the assignment they wait for will never come.
            ResetAndPropagateAssignmentError(ErrorCode.RebalanceInProgress);
        }

        _pendingSyncMembers.Clear();
        StopSyncTimer();
        var initial = State == GroupState.Empty && Options.InitialRebalanceDelay > TimeSpan.Zero;
        TransitionTo(GroupState.PreparingRebalance);
        Logger.LogInformation("Preparing to rebalance group {GroupId} in generation {Generation}: {Reason}", GroupId, GenerationId, reason);
        if (initial)
        {
            var rebalanceTimeout = TimeSpan.FromMilliseconds(RebalanceTimeoutMs);
            _initialDelayRemaining = rebalanceTimeout > Options.InitialRebalanceDelay ? rebalanceTimeout - Options.InitialRebalanceDelay : TimeSpan.Zero;
            _newMemberAdded = false;
            ScheduleJoinTimer(Options.InitialRebalanceDelay, initialDelay: true);
        }
        else
        {
            ScheduleJoinTimer(TimeSpan.FromMilliseconds(RebalanceTimeoutMs), initialDelay: false);
            TryCompleteJoin();
        }
    }

    /// <summary>Completes the join phase early once every member rejoined (not during the initial delay).</summary>
    private void TryCompleteJoin()
    {
        if (State == GroupState.PreparingRebalance && !_joinTimerIsInitialDelay && HasAllMembersJoined)
        {
            CompleteJoinPhase();
        }
    }

    /// <summary>
    /// Kafka's <c>onCompleteJoin</c>: drop dynamic members that did not rejoin, start the next
    /// generation and answer every parked JoinGroup (the leader gets the member list).
    /// </summary>
    private void CompleteJoinPhase()
    {
        StopJoinTimer();
        foreach (var member in _members.Values.Where(m => !m.IsAwaitingJoin && m.GroupInstanceId is null).ToList())
        {
            Logger.LogInformation("Removing member {MemberId} of group {GroupId}: it did not rejoin within the rebalance timeout", member.MemberId, GroupId);
            CompleteSync(member, SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
            Remove(member.MemberId);
        }

        if (!MaybeElectNewJoinedLeader() && Size > 0)
        {
            // Only static members remain and none rejoined: wait again, their sessions will expire.
            Logger.LogWarning("Group {GroupId} could not complete its rebalance because no members rejoined", GroupId);
            ScheduleJoinTimer(TimeSpan.FromMilliseconds(RebalanceTimeoutMs), initialDelay: false);
            return;
        }

        InitNextGeneration();
        Logger.LogInformation("Group {GroupId} moved to generation {Generation} with {Members} members", GroupId, GenerationId, Size);
        if (State == GroupState.Empty)
        {
            StoreEmptyGroup();
            return;
        }

        var allMembers = CurrentMemberMetadata();
        foreach (var member in _members.Values)
        {
            CompleteJoin(member, new JoinGroupResult(
                ErrorCode.None, GenerationId, ProtocolType, ProtocolName, LeaderId ?? "",
                SkipAssignment: false, member.MemberId, IsLeader(member.MemberId) ? allMembers : []));
            ScheduleSession(member);
            member.IsNew = false;
            _pendingSyncMembers.Add(member.MemberId);
        }

        SchedulePendingSyncExpiry();
    }

    private void OnJoinTimer(long epoch)
    {
        lock (_gate)
        {
            if (epoch != _joinTimerEpoch || State != GroupState.PreparingRebalance)
            {
                return;
            }

            if (_joinTimerIsInitialDelay && _newMemberAdded && _initialDelayRemaining > TimeSpan.Zero)
            {
                // Members are still arriving: wait one more delay, but never beyond the rebalance timeout.
                _newMemberAdded = false;
                var delay = _initialDelayRemaining < Options.InitialRebalanceDelay ? _initialDelayRemaining : Options.InitialRebalanceDelay;
                _initialDelayRemaining -= delay;
                ScheduleJoinTimer(delay, initialDelay: true);
                return;
            }

            CompleteJoinPhase();
        }
    }

    /// <summary>Kafka's <c>expirePendingSync</c>: members of this generation that never sent SyncGroup are removed.</summary>
    private void OnPendingSyncExpired(long epoch, int generation)
    {
        lock (_gate)
        {
            if (epoch != _syncTimerEpoch || generation != GenerationId
                || State is not (GroupState.CompletingRebalance or GroupState.Stable) || _pendingSyncMembers.Count == 0)
            {
                return;
            }

            var missing = _pendingSyncMembers.ToList();
            foreach (var memberId in missing)
            {
                Remove(memberId);
            }

            PrepareRebalance($"members {string.Join(", ", missing)} did not send SyncGroup within the rebalance timeout of {RebalanceTimeoutMs} ms");
        }
    }

    /// <summary>Called after a member's SyncGroup arrived: stops the pending-sync timer once nobody is missing.</summary>
    private void MarkSynced(string memberId)
    {
        if (_pendingSyncMembers.Remove(memberId) && _pendingSyncMembers.Count == 0)
        {
            StopSyncTimer();
        }
    }

    private void OnSessionExpired(GroupMember member, long epoch)
    {
        lock (_gate)
        {
            if (epoch != member.SessionEpoch || Get(member.MemberId) != member)
            {
                return;
            }

            // Kafka's hasSatisfiedHeartbeat: a known member parked in JoinGroup or SyncGroup is alive;
            // the rebalance's completion restarts its session.
            if (!member.IsNew && (member.IsAwaitingJoin || member.IsAwaitingSync))
            {
                return;
            }

            Logger.LogInformation("Member {MemberId} of group {GroupId} expired after its session timeout", member.MemberId, GroupId);
            RemoveMemberAndUpdateGroup(member, $"member {member.MemberId} session expired");
        }
    }

    private void RemoveMemberAndUpdateGroup(GroupMember member, string reason)
    {
        // A parked join of a removed member gets UNKNOWN_MEMBER_ID so a live client rejoins.
        CompleteJoin(member, JoinGroupResult.Failed(ErrorCode.UnknownMemberId, member.MemberId));
        CompleteSync(member, SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
        Remove(member.MemberId);
        switch (State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                MaybePrepareRebalance(reason);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin();
                break;
        }
    }

    private void ResetAndPropagateAssignmentError(ErrorCode error)
    {
        foreach (var member in _members.Values)
        {
            member.Assignment = ReadOnlyMemory<byte>.Empty;
        }

        PropagateAssignment(error);
    }

    /// <summary>Answers parked SyncGroups and restarts every session (expiries were ignored while they waited).</summary>
    private void PropagateAssignment(ErrorCode error)
    {
        foreach (var member in _members.Values)
        {
            CompleteSync(member, error == ErrorCode.None
                ? new SyncGroupResult(ErrorCode.None, ProtocolType, ProtocolName, member.Assignment)
                : SyncGroupResult.Failed(error));
            ScheduleSession(member);
        }
    }

    /// <summary>Answers the member's parked JoinGroup, if any.</summary>
    private static void CompleteJoin(GroupMember member, JoinGroupResult result)
    {
        member.JoinWaiter?.TrySetResult(result);
        member.JoinWaiter = null;
    }

    /// <summary>Answers the member's parked SyncGroup, if any.</summary>
    private static void CompleteSync(GroupMember member, SyncGroupResult result)
    {
        member.SyncWaiter?.TrySetResult(result);
        member.SyncWaiter = null;
    }
}
