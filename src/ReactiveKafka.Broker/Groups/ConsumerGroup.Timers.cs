namespace ReactiveKafka.Broker.Groups;

internal sealed partial class ConsumerGroup
{
    /// <summary>The pending rebalance's timer: the initial delay or the rebalance timeout.</summary>
    public ITimer? JoinTimer { get; set; }

    /// <summary>Bumped whenever <see cref="JoinTimer"/> is replaced, so a stale callback recognises itself.</summary>
    public long JoinTimerEpoch { get; set; }

    /// <summary>Whether <see cref="JoinTimer"/> is the initial delay of an empty group's first rebalance.</summary>
    public bool JoinTimerIsInitialDelay { get; set; }

    /// <summary>How far the initial delay may still be extended (rebalance timeout minus the delays so far).</summary>
    public TimeSpan InitialDelayRemaining { get; set; }

    /// <summary>The timer that removes members that joined but never sent SyncGroup.</summary>
    public ITimer? SyncTimer { get; set; }

    /// <summary>Bumped whenever <see cref="SyncTimer"/> is replaced.</summary>
    public long SyncTimerEpoch { get; set; }

    /// <summary>Stops the join timer.</summary>
    public void StopJoinTimer()
    {
        JoinTimerEpoch++;
        JoinTimer?.Dispose();
        JoinTimer = null;
        JoinTimerIsInitialDelay = false;
    }

    /// <summary>Stops the pending-sync timer.</summary>
    public void StopSyncTimer()
    {
        SyncTimerEpoch++;
        SyncTimer?.Dispose();
        SyncTimer = null;
    }

    /// <summary>Stops every timer of the group and its members (deletion, shutdown).</summary>
    public void StopAllTimers()
    {
        StopJoinTimer();
        StopSyncTimer();
        foreach (var member in _members.Values)
        {
            member.StopSessionTimer();
        }

        foreach (var timer in PendingMembers.Values)
        {
            timer.Dispose();
        }

        PendingMembers.Clear();
    }
}
