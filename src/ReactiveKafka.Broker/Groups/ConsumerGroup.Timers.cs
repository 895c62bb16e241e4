using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The group's timers: the join phase, the pending syncs, each member's session and each pending member id.</summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>The pending rebalance's timer: the initial delay or the rebalance timeout.</summary>
    private ITimer? _joinTimer;

    /// <summary>Bumped whenever <see cref="_joinTimer"/> is replaced, so a stale callback recognises itself.</summary>
    private long _joinTimerEpoch;

    /// <summary>Whether <see cref="_joinTimer"/> is the initial delay of an empty group's first rebalance.</summary>
    private bool _joinTimerIsInitialDelay;

    /// <summary>How far the initial delay may still be extended (rebalance timeout minus the delays so far).</summary>
    private TimeSpan _initialDelayRemaining;

    /// <summary>The timer that removes members that joined but never sent SyncGroup.</summary>
    private ITimer? _syncTimer;

    /// <summary>Bumped whenever <see cref="_syncTimer"/> is replaced.</summary>
    private long _syncTimerEpoch;

    private void ScheduleJoinTimer(TimeSpan delay, bool initialDelay)
    {
        StopJoinTimer();
        _joinTimerIsInitialDelay = initialDelay;
        var epoch = _joinTimerEpoch;
        _joinTimer = _host.Schedule(delay, () => OnJoinTimer(epoch));
    }

    private void StopJoinTimer()
    {
        _joinTimerEpoch++;
        _joinTimer?.Dispose();
        _joinTimer = null;
        _joinTimerIsInitialDelay = false;
    }

    /// <summary>
    /// Members that got their join response must send SyncGroup within the group's rebalance timeout
    /// (Kafka's <c>schedulePendingSync</c>, since KAFKA-12890); those that did not are removed.
    /// </summary>
    private void SchedulePendingSyncExpiry()
    {
        StopSyncTimer();
        var epoch = _syncTimerEpoch;
        var generation = GenerationId;
        _syncTimer = _host.Schedule(TimeSpan.FromMilliseconds(RebalanceTimeoutMs), () => OnPendingSyncExpired(epoch, generation));
    }

    private void StopSyncTimer()
    {
        _syncTimerEpoch++;
        _syncTimer?.Dispose();
        _syncTimer = null;
    }

    /// <summary>Restarts a member's session: it is expired unless it is heard from within <paramref name="timeout"/>.</summary>
    private void ScheduleSession(GroupMember member, TimeSpan timeout)
    {
        member.StopSessionTimer();
        var epoch = member.SessionEpoch;
        member.SessionTimer = _host.Schedule(timeout, () => OnSessionExpired(member, epoch));
    }

    /// <summary>Restarts a member's session with its own session timeout.</summary>
    private void ScheduleSession(GroupMember member) => ScheduleSession(member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));

    private void AddPendingMember(string memberId, int sessionTimeoutMs) =>
        _pendingMembers[memberId] = _host.Schedule(TimeSpan.FromMilliseconds(sessionTimeoutMs), () => ExpirePendingMember(memberId));

    /// <summary>Forgets a member that got MEMBER_ID_REQUIRED; true if it was pending.</summary>
    private bool RemovePendingMember(string memberId)
    {
        if (!_pendingMembers.Remove(memberId, out var timer))
        {
            return false;
        }

        timer.Dispose();
        return true;
    }

    private void ExpirePendingMember(string memberId)
    {
        lock (_gate)
        {
            if (RemovePendingMember(memberId))
            {
                Logger.LogInformation("Pending member {MemberId} of group {GroupId} did not join in time", memberId, GroupId);
                TryCompleteJoin();
            }
        }
    }

    /// <summary>Stops every timer of the group and its members (deletion, shutdown).</summary>
    private void StopAllTimers()
    {
        StopJoinTimer();
        StopSyncTimer();
        foreach (var member in _members.Values)
        {
            member.StopSessionTimer();
        }

        foreach (var timer in _pendingMembers.Values)
        {
            timer.Dispose();
        }

        _pendingMembers.Clear();
    }
}
