using Confluent.Kafka;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Commits: by interval, batch size and request; retries; at-most-once commits ahead of emission. The regular commits
/// run on a <see cref="CommitThread"/> while the loop goes on polling; the others (revocation, a new ownership period,
/// at most once, the close) are made on the loop thread, after the one in flight has returned and been applied.
/// </summary>
internal sealed partial class ConsumerLoop<TKey, TValue>
{
    /// <summary>How long a poll waits while a commit is in flight, so that its result is applied promptly.</summary>
    private static readonly TimeSpan PollWhileCommitting = TimeSpan.FromMilliseconds(2);

    private CommitThread? _committer;
    private CommitInFlight? _commitInFlight;
    private int _acknowledgedSinceCommit;
    private bool _commitRequested;
    private int _commitAttempts;
    private long _retryDue;
    private long _nextIntervalCommit;
    private long _commits;

    /// <summary>The last failed commit's error (diagnostics).</summary>
    public Error? LastCommitError { get; private set; }

    /// <summary>Successful commit calls (diagnostics).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Commits are allowed unless the loop failed for a reason other than a record it could not deserialize.</summary>
    private bool MayCommit => _failure is null or ConsumeException;

    /// <summary>Queues a <see cref="ReceiverOffset.CommitAsync"/> waiter and acknowledges its record (loop thread).</summary>
    public void RequestCommit(ReceiverOffset offset, TaskCompletionSource completion)
    {
        var partition = offset.Partition!;
        if (partition.IsRevoked)
        {
            completion.TrySetException(ReceiverOffset.Revoked(offset.TopicPartitionOffset));
            return;
        }

        if (partition.Committed > offset.Value)
        {
            completion.TrySetResult();
            return;
        }

        var deferredBefore = partition.Tracker.Deferred;
        if (partition.Tracker.Acknowledge(offset.Value))
        {
            _unacknowledged--;
            _deferred += partition.Tracker.Deferred - deferredBefore;
            _acknowledgedSinceCommit++;
        }

        partition.CommitWaiters.Add((offset.Value, completion));
        _commitRequested = true;
    }

    private void CommitIfDue()
    {
        if (_commitInFlight is { } inFlight)
        {
            if (!inFlight.IsDone)
            {
                return; // the due commit follows once this one is applied: it then takes every offset acknowledged meanwhile
            }

            ApplyCommitInFlight();
            if (_failure is not null)
            {
                return;
            }
        }

        if (_heldBatch is not null)
        {
            if (Now >= _retryDue)
            {
                CommitHeldBatch();
            }

            return;
        }

        if (_retryDue != 0)
        {
            if (Now >= _retryDue)
            {
                CommitAcknowledged(_assigned.Values.ToList(), retry: true);
            }

            return;
        }

        if (_nextIntervalCommit == 0)
        {
            _nextIntervalCommit = _options.CommitInterval > TimeSpan.Zero ? After(_options.CommitInterval) : long.MaxValue;
        }

        if (_commitRequested
            || (_options.CommitBatchSize > 0 && _acknowledgedSinceCommit >= _options.CommitBatchSize)
            || Now >= _nextIntervalCommit)
        {
            CommitAcknowledged(_assigned.Values.ToList(), retry: true);
        }
    }

    /// <summary>
    /// Commits every given partition whose committable offset passed its committed one. With <paramref name="retry"/> (a
    /// regular commit) the commit runs on the <see cref="CommitThread"/> and its outcome is applied by a later
    /// <see cref="CommitIfDue"/>: a retriable failure schedules a retry (pausing the assignment meanwhile) until the
    /// attempts run out; then, or for a non-retriable failure, the loop fails. Without it (revocation, a new ownership
    /// period, close) the commit is made here, after the one in flight, and a failure is left to the next owner.
    /// </summary>
    private void CommitAcknowledged(List<PartitionState> partitions, bool retry)
    {
        if (!retry)
        {
            AwaitCommitInFlight();
        }

        _commitRequested = false;
        _acknowledgedSinceCommit = 0;
        if (ExactlyOnce is not null)
        {
            // Exactly once: offsets are committed only inside the transactions (SendOffsetsAsync), never on their own.
            return;
        }

        if (_options.CommitInterval > TimeSpan.Zero)
        {
            _nextIntervalCommit = After(_options.CommitInterval);
        }

        List<TopicPartitionOffset>? offsets = null;
        List<PartitionState>? committing = null;
        foreach (var partition in partitions)
        {
            if (!partition.IsRevoked && partition.Tracker.Committable > partition.Committed)
            {
                (offsets ??= []).Add(new TopicPartitionOffset(partition.TopicPartition, partition.Tracker.Committable));
                (committing ??= []).Add(partition);
            }
        }

        if (offsets is null)
        {
            CommitSucceeded();
            return;
        }

        if (retry)
        {
            StartCommit(offsets, committing!);
            return;
        }

        var error = Commit(offsets);
        if (error is null)
        {
            CommitSucceeded();
            return;
        }

        LastCommitError = error;
        ReceiverLog.CommitFailedWithoutRetry(_logger, _group, error.Code, error.Reason);
    }

    /// <summary>Hands a regular commit to the commit thread (loop thread; no commit in flight).</summary>
    private void StartCommit(List<TopicPartitionOffset> offsets, List<PartitionState> partitions)
    {
        var started = CommitClock();
        var commit = new CommitInFlight(partitions, started);
        var consumer = _consumer!;
        _commitInFlight = commit;
        (_committer ??= new CommitThread("ReactiveKafka commit " + _group)).Start(() =>
        {
            commit.Complete(CallCommit(consumer, offsets));
            _wake.Set();
        });
    }

    /// <summary>Waits for the regular commit in flight, if any, and applies its outcome (loop thread).</summary>
    private void AwaitCommitInFlight()
    {
        if (_commitInFlight is null)
        {
            return;
        }

        _commitInFlight.Wait();
        ApplyCommitInFlight();
    }

    /// <summary>Records what the finished regular commit committed and acts on its error: succeed, retry or fail.</summary>
    private void ApplyCommitInFlight()
    {
        var commit = _commitInFlight!;
        _commitInFlight = null;
        var error = Record(commit.Outcome, commit.Partitions);
        if (commit.Started != 0)
        {
            RecordCommitDuration(commit.Seconds, error);
        }

        if (error is null)
        {
            CommitSucceeded();
            return;
        }

        LastCommitError = error;
        if (CommitErrors.IsRebalance(error))
        {
            CommitMetRebalance(error);
            return;
        }

        if (CommitErrors.IsRetriable(error) && ++_commitAttempts < _options.MaxCommitAttempts)
        {
            ReceiverLog.CommitRetry(_logger, _group, _commitAttempts, error.Code, error.Reason);
            _retryDue = After(_options.CommitRetryInterval);
            _reasons |= PauseReasons.CommitRetry;
            PauseReasonChanged(PauseReasons.CommitRetry, started: true);
            _commitRequested = true;
            return;
        }

        Fail(new KafkaException(new Error(error.Code, $"Committing offsets failed after {_commitAttempts + (CommitErrors.IsRetriable(error) ? 0 : 1)} attempt(s): {error.Reason}", error.IsFatal)));
    }

    /// <summary>The consumer is about to close: waits for the commit in flight and ends the commit thread.</summary>
    private void StopCommitting()
    {
        if (_committer is null)
        {
            return;
        }

        try
        {
            AwaitCommitInFlight();
        }
        finally
        {
            _committer.Dispose();
            _committer = null;
        }
    }

    /// <summary>How long the next poll may wait: briefly while a commit is in flight, so its outcome is applied promptly.</summary>
    private TimeSpan PollWait => _commitInFlight is null || _options.PollTimeout < PollWhileCommitting ? _options.PollTimeout : PollWhileCommitting;

    /// <summary>
    /// The member lost, or is losing, its partitions (<see cref="CommitErrors.IsRebalance"/>): never the end of the
    /// sequence. librdkafka calls the lost (or revoked) handler from a coming <c>Consume</c> and joins again; the
    /// partitions that move drop out of the retries (their ownership period ends, their acknowledgements are dropped and
    /// their next owner reads them again from the committed offsets: duplicates, never loss). The retry runs without
    /// pausing, so the partitions kept through a cooperative rebalance go on flowing; when the attempts run out the
    /// commit is left to the next due one, the acknowledged offsets still tracked.
    /// </summary>
    private void CommitMetRebalance(Error error)
    {
        if (++_commitAttempts < _options.MaxCommitAttempts)
        {
            ReceiverLog.CommitMetRebalance(_logger, _group, _commitAttempts, error.Code, error.Reason);
            _retryDue = After(_options.CommitRetryInterval);
            _commitRequested = true;
            return;
        }

        ReceiverLog.CommitLeftToRebalance(_logger, _group, _commitAttempts, error.Code, error.Reason);
        _commitAttempts = 0;
        _retryDue = 0;
    }

    private void CommitSucceeded()
    {
        _commitAttempts = 0;
        _retryDue = 0;
        PauseReasonChanged(PauseReasons.CommitRetry, started: false);
        _reasons &= ~PauseReasons.CommitRetry;
    }

    /// <summary>Commits <paramref name="offsets"/> on this thread; records what succeeded; returns the first error, or null.</summary>
    private Error? Commit(List<TopicPartitionOffset> offsets)
    {
        var started = CommitClock();
        var error = Record(CallCommit(_consumer!, offsets), partitions: null);
        if (started != 0)
        {
            RecordCommitDuration(started, error);
        }

        return error;
    }

    /// <summary>A timestamp for the commit-duration metric, or 0 when nobody listens.</summary>
    private static long CommitClock() =>
        KafkaDiagnostics.IsSupported && KafkaMetrics.OperationDuration.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;

    /// <summary>The commit call itself (any thread): the per-partition results, or the error of the whole call.</summary>
    private static CommitOutcome CallCommit(IConsumer<TKey, TValue> consumer, List<TopicPartitionOffset> offsets)
    {
        try
        {
            consumer.Commit(offsets);
            return AllCommitted(offsets);
        }
        catch (TopicPartitionOffsetException partial)
        {
            return new CommitOutcome(partial.Results, null);
        }
        catch (KafkaException failed) when (failed.Error.Code == ErrorCode.Local_NoOffset)
        {
            return AllCommitted(offsets);
        }
        catch (KafkaException failed)
        {
            return new CommitOutcome(null, failed.Error);
        }
        catch (Exception failed)
        {
            // The consumer went away under the commit (it never should: the close waits for it); reported, not thrown on a bare thread.
            return new CommitOutcome(null, new Error(ErrorCode.Local_Fail, failed.Message));
        }
    }

    private static CommitOutcome AllCommitted(List<TopicPartitionOffset> offsets) =>
        new(offsets.Select(o => new TopicPartitionOffsetError(o, new Error(ErrorCode.NoError))).ToList(), null);

    /// <summary>
    /// Records the partitions <paramref name="outcome"/> committed (only in the ownership periods it was made for, when
    /// <paramref name="partitions"/> names them); returns its first error, or null (loop thread).
    /// </summary>
    private Error? Record(CommitOutcome outcome, List<PartitionState>? partitions)
    {
        if (outcome.Error is { } error)
        {
            return error;
        }

        Error? first = null;
        foreach (var result in outcome.Results!)
        {
            if (result.Error.IsError)
            {
                first ??= result.Error;
            }
            else if (_assigned.TryGetValue(result.TopicPartition, out var partition) && (partitions is null || partitions.Contains(partition)))
            {
                Committed(partition, result.Offset.Value);
            }
        }

        if (first is null)
        {
            Interlocked.Increment(ref _commits);
        }

        return first;
    }

    private void Committed(PartitionState partition, long offset)
    {
        if (offset <= partition.Committed)
        {
            return;
        }

        if (KafkaDiagnostics.IsSupported && KafkaMetrics.CommittedMessages.Enabled)
        {
            var from = partition.Committed >= 0 ? partition.Committed : partition.FirstReceived;
            if (from >= 0 && offset > from)
            {
                KafkaMetrics.CommittedMessages.Add(offset - from, PartitionTags("commit", partition));
            }
        }

        partition.Committed = offset;
        var waiters = partition.CommitWaiters;
        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            if (waiters[i].Offset < offset)
            {
                waiters[i].Completion.TrySetResult();
                waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// At most once: commits past every record of the held batch (up to <see cref="ReceiverOptions{TKey, TValue}.AtMostOnceCommitAheadSize"/>
    /// further, capped at the high watermark) before delivering it; records below an earlier commit-ahead need none.
    /// </summary>
    private void CommitHeldBatch()
    {
        AwaitCommitInFlight();
        if (_failure is not null)
        {
            return;
        }

        var batch = _heldBatch!;
        var last = new Dictionary<PartitionState, long>();
        foreach (var record in batch)
        {
            var partition = record.Offset.Partition!;
            if (!partition.IsRevoked)
            {
                last[partition] = record.Offset.Value;
            }
        }

        List<TopicPartitionOffset>? offsets = null;
        foreach (var (partition, offset) in last)
        {
            if (offset + 1 > partition.CommittedAhead)
            {
                var target = offset + 1;
                if (_options.AtMostOnceCommitAheadSize > 0)
                {
                    var high = _consumer!.GetWatermarkOffsets(partition.TopicPartition).High;
                    if (high != Offset.Unset)
                    {
                        target = Math.Max(target, Math.Min(offset + 1 + _options.AtMostOnceCommitAheadSize, high.Value));
                    }
                }

                (offsets ??= []).Add(new TopicPartitionOffset(partition.TopicPartition, target));
            }
        }

        var error = offsets is null ? null : Commit(offsets);
        if (error is null)
        {
            foreach (var offset in offsets ?? [])
            {
                if (_assigned.TryGetValue(offset.TopicPartition, out var partition))
                {
                    partition.CommittedAhead = Math.Max(partition.CommittedAhead, offset.Offset.Value);
                }
            }

            CommitSucceeded();
            _heldBatch = null;
            Deliver(batch);
            return;
        }

        // A rebalance-like refusal is retried until the rebalance ends the ownership of the partitions that move (the
        // retry then commits, and delivers, only the records of partitions still owned): never the end of the sequence.
        var rebalance = CommitErrors.IsRebalance(error);
        if (rebalance || (CommitErrors.IsRetriable(error) && ++_commitAttempts < _options.MaxCommitAttempts))
        {
            if (rebalance)
            {
                ReceiverLog.CommitMetRebalance(_logger, _group, _commitAttempts + 1, error.Code, error.Reason);
            }

            _retryDue = After(_options.CommitRetryInterval);
            _reasons |= PauseReasons.CommitRetry;
            PauseReasonChanged(PauseReasons.CommitRetry, started: true);
            return;
        }

        _heldBatch = null;
        Fail(new KafkaException(new Error(error.Code, $"Committing offsets before emitting (at most once) failed: {error.Reason}", error.IsFatal)));
    }

    private void Fail(Exception error)
    {
        _failure ??= error;
        foreach (var partition in _assigned.Values)
        {
            foreach (var (_, completion) in partition.CommitWaiters)
            {
                completion.TrySetException(error);
            }

            partition.CommitWaiters.Clear();
        }
    }
}

/// <summary>What a commit call returned: each partition's result, or the error of the whole call.</summary>
internal readonly record struct CommitOutcome(IReadOnlyList<TopicPartitionOffsetError>? Results, Error? Error);

/// <summary>A regular commit handed to the <see cref="CommitThread"/>, and its outcome once <see cref="IsDone"/>.</summary>
/// <remarks>
/// Its own completion, not the thread's idleness, says when it is done: the thread may still be finishing one commit
/// when the loop, told that commit is done, hands it the next.
/// </remarks>
internal sealed class CommitInFlight(List<PartitionState> partitions, long started)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The ownership periods the offsets belong to: a result is recorded only in these.</summary>
    public List<PartitionState> Partitions { get; } = partitions;

    /// <summary>When the commit started (for the duration metric), or 0.</summary>
    public long Started { get; } = started;

    /// <summary>How long the commit call took, in seconds (when <see cref="Started"/> is set).</summary>
    public double Seconds { get; private set; }

    /// <summary>The outcome, once <see cref="IsDone"/>.</summary>
    public CommitOutcome Outcome { get; private set; }

    /// <summary>Whether the commit call has returned (then <see cref="Outcome"/> is set).</summary>
    public bool IsDone => _done.Task.IsCompleted;

    /// <summary>The commit call returned <paramref name="outcome"/> (the commit thread).</summary>
    public void Complete(CommitOutcome outcome)
    {
        Outcome = outcome;
        if (Started != 0)
        {
            Seconds = KafkaMetrics.SecondsSince(Started);
        }

        _done.SetResult();
    }

    /// <summary>Waits until the commit call has returned.</summary>
    public void Wait() => _done.Task.Wait();
}
