using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Before partitions are released (revoked, lost, closed): waiting up to <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/>
/// for the records handed out to be acknowledged, and, exactly once, aborting the open transaction when they are not,
/// then rewinding after aborts.
/// </summary>
internal sealed partial class ConsumerLoop<TKey, TValue>
{
    private volatile bool _awaitingAcknowledgements;
    private long _settleWaits;
    private long _settleAborts;

    /// <summary>The exactly-once coordinator of an exactly-once subscription (set before <see cref="Start"/>), or null.</summary>
    public ExactlyOnceCoordinator<TKey, TValue>? ExactlyOnce { get; init; }

    /// <summary>Releases that waited for acknowledgements (diagnostics, tests).</summary>
    public long SettleWaits => Interlocked.Read(ref _settleWaits);

    /// <summary>Releases that aborted the open transaction (diagnostics, tests).</summary>
    public long SettleAborts => Interlocked.Read(ref _settleAborts);

    /// <summary>
    /// Lets the records handed out of <paramref name="partitions"/> settle before they are released: waits up to
    /// <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/> for their acknowledgements (not for lost partitions:
    /// another member may own them already); exactly once, a transaction that still holds some is aborted (its records
    /// are the new owner's to read again), so that no offset of a released partition can be committed later.
    /// </summary>
    private void SettleBeforeRelease(List<PartitionState> partitions, bool lost)
    {
        if (!_tracking || partitions.Count == 0)
        {
            return;
        }

        ProcessAcknowledgements();
        var settled = Unsettled(partitions) == 0;
        if (!settled && !lost && _options.MaxDelayRebalance > TimeSpan.Zero)
        {
            Interlocked.Increment(ref _settleWaits);
            settled = AwaitAcknowledged(partitions, _options.MaxDelayRebalance);
        }

        if (!settled && ExactlyOnce is { } exactlyOnce && exactlyOnce.Transactions.CurrentTransaction != 0)
        {
            Interlocked.Increment(ref _settleAborts);
            exactlyOnce.AbortOpen(_options.CloseTimeout);
            ProcessAcknowledgements();
        }
    }

    private static int Unsettled(List<PartitionState> partitions) =>
        partitions.Sum(static p => p.IsRevoked ? 0 : p.Tracker.Unacknowledged);

    /// <summary>Applies acknowledgements as they arrive until none of <paramref name="partitions"/> waits for one, or the wait ends.</summary>
    private bool AwaitAcknowledged(List<PartitionState> partitions, TimeSpan wait)
    {
        var deadline = After(wait);
        _awaitingAcknowledgements = true;
        try
        {
            while (true)
            {
                _wake.Reset();
                ProcessAcknowledgements();
                if (Unsettled(partitions) == 0)
                {
                    return true;
                }

                var left = deadline - Now;
                if (left <= 0 || _failure is not null)
                {
                    return false;
                }

                // Inside the rebalance callback on the loop thread: only acknowledgements wake it (or the deadline).
                _wake.Wait(TimeSpan.FromSeconds(Math.Min(left / (double)System.Diagnostics.Stopwatch.Frequency, 0.05)));
            }
        }
        finally
        {
            _awaitingAcknowledgements = false;
        }
    }

    /// <summary>
    /// A transaction aborted (exactly once): every owned partition read past its last committed position is sought back
    /// to it and starts a new ownership period, so the records of the aborted transaction, and those polled after them,
    /// are read again and none is skipped. Batches polled before are stale (the coordinator's epoch).
    /// </summary>
    public void RewindUncommitted()
    {
        var exactlyOnce = ExactlyOnce!;
        ProcessAcknowledgements();
        exactlyOnce.AppliedEpoch++;
        foreach (var partition in _assigned.Values.ToList())
        {
            var target = partition.Tracker.Committable >= 0 ? partition.Tracker.Committable : partition.FirstReceived;
            if (target < 0 || partition.Tracker.LastAdded < target)
            {
                continue;
            }

            _consumer!.Seek(new TopicPartitionOffset(partition.TopicPartition, target));
            Renew(partition);
        }
    }
}
