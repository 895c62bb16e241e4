using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Rebalance callbacks (run by librdkafka inside <c>Consume</c>, on the loop thread) and ownership periods.
/// </summary>
internal sealed partial class ConsumerLoop<TKey, TValue>
{
    /// <inheritdoc/>
    public bool ResetsToEarliest =>
        _options.ConsumerProperties.TryGetValue("auto.offset.reset", out var reset) && reset is "earliest" or "smallest" or "beginning";

    private IEnumerable<TopicPartitionOffset> OnAssigned(IConsumer<TKey, TValue> consumer, List<TopicPartition> partitions) =>
        Assign(partitions, starts: null);

    private void OnRevoked(IConsumer<TKey, TValue> consumer, List<TopicPartitionOffset> partitions) =>
        Revoke(Owned(partitions), commit: MayCommit && !_closingConsumer, lost: false);

    private void OnLost(IConsumer<TKey, TValue> consumer, List<TopicPartitionOffset> partitions) =>
        Revoke(Owned(partitions), commit: false, lost: true);

    /// <summary>
    /// Starts an ownership period for each partition, lets the assign listener choose start offsets, and returns
    /// them (librdkafka applies an assignment only after the callback returns, so seeks must travel this way).
    /// </summary>
    private List<TopicPartitionOffset> Assign(List<TopicPartition> partitions, Dictionary<TopicPartition, Offset>? starts)
    {
        Interlocked.Increment(ref _assignments);
        var handles = partitions
            .Select(p => new ReceiverPartition(p, starts is not null && starts.TryGetValue(p, out var start) ? start : Offset.Unset, this))
            .ToList();
        try
        {
            _options.OnPartitionsAssigned?.Invoke(handles);
        }
        finally
        {
            handles.ForEach(static h => h.Invalidate());
        }

        foreach (var topicPartition in partitions)
        {
            if (_assigned.Remove(topicPartition, out var stale))
            {
                EndOwnership(stale, null);
            }

            var partition = new PartitionState(topicPartition, this);
            _assigned[topicPartition] = partition;

            // The consumer applies the assignment after this callback returns; the next ApplyPauses sets its pause state.
            _newlyAssigned.Add(topicPartition);
            _sink.Assigned(partition);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            ReceiverLog.Assigned(_logger, _group, string.Join(", ", partitions));
        }

        return handles.Select(h => new TopicPartitionOffset(h.TopicPartition, h.StartOffset)).ToList();
    }

    private List<PartitionState> Owned(List<TopicPartitionOffset> partitions)
    {
        var owned = new List<PartitionState>(partitions.Count);
        foreach (var partition in partitions)
        {
            if (_assigned.TryGetValue(partition.TopicPartition, out var state))
            {
                owned.Add(state);
            }
        }

        return owned;
    }

    /// <summary>
    /// Ends ownership of <paramref name="partitions"/>: commits their acknowledged offsets first (unless lost), so the
    /// next owner starts after them; then their buffered records are no longer emitted, later acknowledgements of them
    /// are ignored, and the listener runs.
    /// </summary>
    private void Revoke(List<PartitionState> partitions, bool commit, bool lost)
    {
        var started = Now;
        try
        {
            RevokeCore(partitions, commit, lost);
        }
        finally
        {
            LongestRevocation = TimeSpan.FromTicks(Math.Max(LongestRevocation.Ticks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks));
        }
    }

    /// <summary>The longest time a revocation (commit, settling, listener) held the loop (diagnostics, tests).</summary>
    public TimeSpan LongestRevocation { get; private set; }

    private void RevokeCore(List<PartitionState> partitions, bool commit, bool lost)
    {
        Interlocked.Increment(ref _revocations);
        if (partitions.Count > 0 && _logger.IsEnabled(lost ? LogLevel.Warning : LogLevel.Information))
        {
            var names = string.Join(", ", partitions.Select(p => p.TopicPartition));
            if (lost)
            {
                ReceiverLog.Lost(_logger, _group, names);
            }
            else
            {
                ReceiverLog.Revoked(_logger, _group, names);
            }
        }

        SettleBeforeRelease(partitions, lost);
        if (commit)
        {
            ProcessInbox();

            // Work run just now may have started new ownership periods of these partitions (an exactly-once rewind).
            partitions = [.. partitions.Select(p => _assigned.GetValueOrDefault(p.TopicPartition)).OfType<PartitionState>()];
            CommitAcknowledged(partitions, retry: false);
        }

        // What a lost partition's next owner reads again, taken before its ownership period is forgotten.
        var lostPartitions = lost ? partitions.Select(Lost).ToList() : null;
        foreach (var partition in partitions)
        {
            _assigned.Remove(partition.TopicPartition);

            // Not removed from _paused: librdkafka keeps the pause for the partition's next assignment.

            // A revocation while closing after an error (the consumer's close revokes) ends ownership with that error.
            EndOwnership(partition, _failure);
        }

        if (lostPartitions is not null)
        {
            _counters.Lost(lostPartitions.Count);
            _options.OnPartitionsLost?.Invoke(lostPartitions);
        }
        else
        {
            _options.OnPartitionsRevoked?.Invoke(partitions.Select(p => p.TopicPartition).ToList());
        }
    }

    private static LostPartition Lost(PartitionState partition)
    {
        var last = partition.Tracker.LastAdded;
        var from = last < 0 ? -1 : partition.Committed >= 0 ? partition.Committed : partition.FirstReceived;
        return new LostPartition(partition.TopicPartition, from, last, partition.Tracker.Unacknowledged);
    }

    /// <summary>Marks an ownership period over: forgets its tracked records and settles its commit waiters.</summary>
    private void EndOwnership(PartitionState partition, Exception? failure)
    {
        if (partition.IsRevoked)
        {
            return;
        }

        // Ending with an error, the records already taken are still emitted before it (the receiver's promise for
        // a record that cannot be deserialized); a revocation or a close withdraws them.
        partition.MarkRevoked(withdrawBufferedRecords: failure is null);
        _unacknowledged -= partition.Tracker.Unacknowledged;
        _deferred -= partition.Tracker.Deferred;
        partition.Tracker.Clear();
        foreach (var (offset, completion) in partition.CommitWaiters)
        {
            completion.TrySetException(failure ?? ReceiverOffset.Revoked(new TopicPartitionOffset(partition.TopicPartition, offset)));
        }

        partition.CommitWaiters.Clear();
        _sink.Revoked(partition);
    }

    /// <summary>The partition is read again from an earlier offset: commit what was acknowledged and start a new period.</summary>
    private PartitionState Renew(PartitionState partition)
    {
        CommitAcknowledged([partition], retry: false);
        EndOwnership(partition, null);
        var renewed = new PartitionState(partition.TopicPartition, this);
        _assigned[partition.TopicPartition] = renewed;
        _sink.Assigned(renewed);
        return renewed;
    }

    Offset IPartitionQueries.Committed(TopicPartition partition) =>
        _consumer!.Committed([partition], TimeSpan.FromSeconds(10)).Single().Offset;

    WatermarkOffsets IPartitionQueries.Watermarks(TopicPartition partition) =>
        _consumer!.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));

    Offset IPartitionQueries.OffsetForTimestamp(TopicPartition partition, Timestamp timestamp)
    {
        var found = _consumer!.OffsetsForTimes([new TopicPartitionTimestamp(partition, timestamp)], TimeSpan.FromSeconds(10)).Single().Offset;
        return found == Offset.Unset || found.Value < 0 ? Offset.End : found;
    }
}
