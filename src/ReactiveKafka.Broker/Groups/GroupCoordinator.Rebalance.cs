using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>Starting and completing rebalances; every method here runs under the group's lock.</summary>
internal sealed partial class GroupCoordinator
{
    private void MaybePrepareRebalance(ConsumerGroup group, string reason)
    {
        if (group.CanRebalance)
        {
            PrepareRebalance(group, reason);
        }
    }

    private void PrepareRebalance(ConsumerGroup group, string reason)
    {
        if (group.State == GroupState.CompletingRebalance)
        {
            // Followers parked in SyncGroup must rejoin: the assignment they wait for will never come.
            ResetAndPropagateAssignmentError(group, ErrorCode.RebalanceInProgress);
        }

        group.PendingSyncMembers.Clear();
        group.StopSyncTimer();
        var initial = group.State == GroupState.Empty && _options.InitialRebalanceDelay > TimeSpan.Zero;
        group.TransitionTo(GroupState.PreparingRebalance, Now);
        _logger.LogInformation("Preparing to rebalance group {GroupId} in generation {Generation}: {Reason}", group.GroupId, group.GenerationId, reason);
        if (initial)
        {
            var rebalanceTimeout = TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs);
            group.InitialDelayRemaining = rebalanceTimeout > _options.InitialRebalanceDelay ? rebalanceTimeout - _options.InitialRebalanceDelay : TimeSpan.Zero;
            group.NewMemberAdded = false;
            ScheduleJoinTimer(group, _options.InitialRebalanceDelay, initialDelay: true);
        }
        else
        {
            ScheduleJoinTimer(group, TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs), initialDelay: false);
            TryCompleteJoin(group);
        }
    }

    /// <summary>Completes the join phase early once every member rejoined (not during the initial delay).</summary>
    private void TryCompleteJoin(ConsumerGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.JoinTimerIsInitialDelay && group.HasAllMembersJoined)
        {
            CompleteJoinPhase(group);
        }
    }

    /// <summary>
    /// Kafka's <c>onCompleteJoin</c>: drop dynamic members that did not rejoin, start the next
    /// generation and answer every parked JoinGroup (the leader gets the member list).
    /// </summary>
    private void CompleteJoinPhase(ConsumerGroup group)
    {
        group.StopJoinTimer();
        foreach (var member in group.Members.Where(m => !m.IsAwaitingJoin && m.GroupInstanceId is null).ToList())
        {
            _logger.LogInformation("Removing member {MemberId} of group {GroupId}: it did not rejoin within the rebalance timeout", member.MemberId, group.GroupId);
            CompleteSync(member, SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
            group.Remove(member.MemberId);
        }

        if (!group.MaybeElectNewJoinedLeader() && group.Size > 0)
        {
            // Only static members remain and none rejoined: wait again, their sessions will expire.
            _logger.LogWarning("Group {GroupId} could not complete its rebalance because no members rejoined", group.GroupId);
            ScheduleJoinTimer(group, TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs), initialDelay: false);
            return;
        }

        group.InitNextGeneration(Now);
        PersistGroup(group);
        _logger.LogInformation("Group {GroupId} moved to generation {Generation} with {Members} members", group.GroupId, group.GenerationId, group.Size);
        if (group.State == GroupState.Empty)
        {
            return;
        }

        var allMembers = group.CurrentMemberMetadata();
        foreach (var member in group.Members)
        {
            var isLeader = group.IsLeader(member.MemberId);
            CompleteJoin(member, new JoinGroupResult(
                ErrorCode.None, group.GenerationId, group.ProtocolType, group.ProtocolName, group.LeaderId ?? "",
                SkipAssignment: false, member.MemberId, isLeader ? allMembers : []));
            ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
            member.IsNew = false;
            group.PendingSyncMembers.Add(member.MemberId);
        }

        SchedulePendingSyncExpiry(group);
    }

    private void ScheduleJoinTimer(ConsumerGroup group, TimeSpan delay, bool initialDelay)
    {
        group.StopJoinTimer();
        group.JoinTimerIsInitialDelay = initialDelay;
        var epoch = group.JoinTimerEpoch;
        group.JoinTimer = _time.CreateTimer(_ => OnJoinTimer(group, epoch), null, delay, Timeout.InfiniteTimeSpan);
    }

    private void OnJoinTimer(ConsumerGroup group, long epoch)
    {
        lock (group.Gate)
        {
            if (_disposed || epoch != group.JoinTimerEpoch || group.State != GroupState.PreparingRebalance)
            {
                return;
            }

            if (group.JoinTimerIsInitialDelay && group.NewMemberAdded && group.InitialDelayRemaining > TimeSpan.Zero)
            {
                // Members are still arriving: wait one more delay, but never beyond the rebalance timeout.
                group.NewMemberAdded = false;
                var delay = group.InitialDelayRemaining < _options.InitialRebalanceDelay ? group.InitialDelayRemaining : _options.InitialRebalanceDelay;
                group.InitialDelayRemaining -= delay;
                ScheduleJoinTimer(group, delay, initialDelay: true);
                return;
            }

            CompleteJoinPhase(group);
        }
    }

    /// <summary>Members that got their join response must send SyncGroup within the rebalance timeout.</summary>
    private void SchedulePendingSyncExpiry(ConsumerGroup group)
    {
        group.StopSyncTimer();
        var epoch = group.SyncTimerEpoch;
        var generation = group.GenerationId;
        group.SyncTimer = _time.CreateTimer(
            _ => OnPendingSyncExpired(group, epoch, generation),
            null,
            TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs),
            Timeout.InfiniteTimeSpan);
    }

    private void OnPendingSyncExpired(ConsumerGroup group, long epoch, int generation)
    {
        lock (group.Gate)
        {
            if (_disposed || epoch != group.SyncTimerEpoch || generation != group.GenerationId
                || group.State is not (GroupState.CompletingRebalance or GroupState.Stable) || group.PendingSyncMembers.Count == 0)
            {
                return;
            }

            var missing = group.PendingSyncMembers.ToList();
            foreach (var memberId in missing)
            {
                group.Remove(memberId);
            }

            PrepareRebalance(group, $"members {string.Join(", ", missing)} did not send SyncGroup in time");
        }
    }

    /// <summary>Called after a member's SyncGroup arrived: stops the pending-sync timer once nobody is missing.</summary>
    private static void MarkSynced(ConsumerGroup group, string memberId)
    {
        if (group.PendingSyncMembers.Remove(memberId) && group.PendingSyncMembers.Count == 0)
        {
            group.StopSyncTimer();
        }
    }

    /// <summary>Restarts a member's session: it is expired unless it is heard from within <paramref name="timeout"/>.</summary>
    private void ScheduleSession(ConsumerGroup group, GroupMember member, TimeSpan timeout)
    {
        member.StopSessionTimer();
        var epoch = member.SessionEpoch;
        member.SessionTimer = _time.CreateTimer(_ => OnSessionExpired(group, member, epoch), null, timeout, Timeout.InfiniteTimeSpan);
    }

    private void OnSessionExpired(ConsumerGroup group, GroupMember member, long epoch)
    {
        lock (group.Gate)
        {
            if (_disposed || epoch != member.SessionEpoch || group.Get(member.MemberId) != member)
            {
                return;
            }

            // Kafka's hasSatisfiedHeartbeat: a known member parked in JoinGroup or SyncGroup is alive;
            // the rebalance's completion restarts its session.
            if (!member.IsNew && (member.IsAwaitingJoin || member.IsAwaitingSync))
            {
                return;
            }

            _logger.LogInformation("Member {MemberId} of group {GroupId} expired after its session timeout", member.MemberId, group.GroupId);
            RemoveMemberAndUpdateGroup(group, member, $"member {member.MemberId} session expired");
        }
    }

    private void RemoveMemberAndUpdateGroup(ConsumerGroup group, GroupMember member, string reason)
    {
        // A parked join of a removed member gets UNKNOWN_MEMBER_ID so a live client rejoins.
        CompleteJoin(member, JoinGroupResult.Failed(ErrorCode.UnknownMemberId, member.MemberId));
        CompleteSync(member, SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
        group.Remove(member.MemberId);
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                MaybePrepareRebalance(group, reason);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    private void ResetAndPropagateAssignmentError(ConsumerGroup group, ErrorCode error)
    {
        foreach (var member in group.Members)
        {
            member.Assignment = ReadOnlyMemory<byte>.Empty;
        }

        PropagateAssignment(group, error);
    }

    /// <summary>Answers parked SyncGroups and restarts every session (expiries were ignored while they waited).</summary>
    private void PropagateAssignment(ConsumerGroup group, ErrorCode error)
    {
        foreach (var member in group.Members)
        {
            CompleteSync(member, error == ErrorCode.None
                ? new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, member.Assignment)
                : SyncGroupResult.Failed(error));
            ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
        }
    }

    /// <summary>Answers the member's parked SyncGroup, if any.</summary>
    private static void CompleteSync(GroupMember member, SyncGroupResult result)
    {
        member.SyncWaiter?.TrySetResult(result);
        member.SyncWaiter = null;
    }
}
