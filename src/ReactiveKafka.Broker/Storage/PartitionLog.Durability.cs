using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Flushing: group commit for <see cref="FlushPolicy.Durable"/>, the timer of
/// <see cref="FlushPolicy.Interval"/>, and the recovery point checkpoint.
/// </summary>
/// <remarks>
/// Group commit: an append in Durable mode asks for a flush round, which queues the log on one of the
/// <see cref="FlushThreads"/> unless it is queued already (one pending round is enough). The round
/// captures the log end offset under the write lock and fsyncs every dirty segment. Every append
/// that finished before the capture is covered by that fsync; appends that land during it ask again
/// and ride the next round. So N concurrent appenders cost about two fsyncs, not N. A log is flushed by
/// one thread at a time (<c>_flushState</c>). Lock order is always flush lock, then write lock; the
/// write lock is never held during an fsync by a round, so appends keep flowing while the disk works.
/// </remarks>
internal sealed partial class PartitionLog
{
    private const int FlushIdle = 0;
    private const int FlushQueued = 1;
    private const int FlushRunning = 2;
    private const int FlushRunningAndAsked = 3;

    private readonly Lock _flushLock = new();
    private int _flushState;
    private ITimer? _intervalTimer;
    private long _intervalPeriodMs;
    private long _durableOffset;
    private RecoveryPoint _durablePoint;
    private RecoveryPoint _checkpointed;
    private long _announcedHighWatermark = -1;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _flushFailure;

    /// <summary>A point in the log before which everything is fsync'd.</summary>
    private readonly record struct RecoveryPoint(long SegmentBaseOffset, long Position, long Offset);

    /// <summary>One past the last fsync'd offset.</summary>
    public long DurableOffset => Volatile.Read(ref _durableOffset);

    /// <summary>How many fsync rounds of the log file have run (tests measure group commit with it).</summary>
    public long FlushCount => Volatile.Read(ref _flushCount);

    private long _flushCount;

    /// <summary>Test hook: runs on the flusher before each group-commit fsync, outside the write lock.</summary>
    internal Action? BeforeGroupCommitFsync { get; set; }

    /// <summary>
    /// Completes when every offset below <paramref name="offsetExclusive"/> is on disk. In Durable
    /// mode that is after the group-commit fsync covering it; in the other modes at once. Throws an
    /// <see cref="IOException"/> when an fsync failed (the log is then offline: report
    /// KAFKA_STORAGE_ERROR) and <see cref="ObjectDisposedException"/> when the log closed first.
    /// </summary>
    public ValueTask WaitForDurableAsync(long offsetExclusive, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _durableOffset) >= offsetExclusive || _config.FlushPolicy != FlushPolicy.Durable)
        {
            return ValueTask.CompletedTask;
        }

        return WaitSlowAsync(offsetExclusive, cancellationToken);

        async ValueTask WaitSlowAsync(long offset, CancellationToken ct)
        {
            while (true)
            {
                var signal = Volatile.Read(ref _advanced);
                if (Volatile.Read(ref _durableOffset) >= offset || _config.FlushPolicy != FlushPolicy.Durable)
                {
                    return;
                }

                if (_flushFailure is { } failure)
                {
                    throw new IOException($"fsync of {Directory} failed; the log is offline.", failure);
                }

                ObjectDisposedException.ThrowIf(_closed, this);
                await signal.Task.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Completes when <see cref="HighWatermark"/> differs from <paramref name="knownHighWatermark"/>
    /// or the log closes: the fetch long-poll's wake-up. Callers re-read the state after it.
    /// </summary>
    public Task WaitForHighWatermarkChangeAsync(long knownHighWatermark, CancellationToken cancellationToken = default)
    {
        var signal = Volatile.Read(ref _advanced);
        return HighWatermark != knownHighWatermark || _closed
            ? Task.CompletedTask
            : signal.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the recovery point checkpoint for what is already durable (no fsync of data). The
    /// periodic retention pass calls it so a crash re-validates little.
    /// </summary>
    public void CheckpointRecoveryPoint()
    {
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                if (!_closed)
                {
                    WriteRecoveryCheckpointLocked();
                }
            }
        }
    }

    private void StartFlushing(LogConfig config)
    {
        var period = config.FlushPolicy == FlushPolicy.Interval ? Math.Max(1, config.FlushIntervalMs) : 0;
        if (period != _intervalPeriodMs)
        {
            _intervalTimer?.Dispose();
            _intervalTimer = period == 0 ? null : _time.CreateTimer(
                static state => ((PartitionLog)state!).FlushInBackground(), this,
                TimeSpan.FromMilliseconds(period), TimeSpan.FromMilliseconds(period));
            _intervalPeriodMs = period;
        }
    }

    // A round still queued when the log closes finds it closed (under the flush lock) and does nothing.
    private ValueTask StopFlushingAsync()
    {
        lock (_flushLock)
        {
            _intervalTimer?.Dispose();
            _intervalTimer = null;
            _intervalPeriodMs = 0;
        }

        return ValueTask.CompletedTask;
    }

    // Called after an append in Durable mode and after a roll in any mode: queues one fsync round on the flush
    // threads, or marks the running one to go again. (The interval timer flushes on its own thread: nothing waits.)
    private void RequestFlush()
    {
        while (true)
        {
            var state = Volatile.Read(ref _flushState);
            var next = state switch
            {
                FlushIdle => FlushQueued,
                FlushRunning => FlushRunningAndAsked,
                _ => -1, // Queued, or running and asked already: that round covers this request.
            };
            if (next < 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _flushState, next, state) == state)
            {
                if (next == FlushQueued)
                {
                    FlushThreads.Enqueue(this);
                }

                return;
            }
        }
    }

    /// <summary>
    /// Runs a queued fsync round (on a flush thread), and the next one at once when it was asked for meanwhile and no
    /// other log is waiting for a thread; otherwise the next round queues behind the others.
    /// </summary>
    internal void RunQueuedFlush()
    {
        while (true)
        {
            Volatile.Write(ref _flushState, FlushRunning);
            try
            {
                FlushInBackground();
            }
            catch (Exception e)
            {
                // Nothing may end a flush thread: the waiters of this log stay waiting, the other logs are served.
                _logger.LogError(e, "A flush round of {Directory} failed", Directory);
            }

            if (Interlocked.CompareExchange(ref _flushState, FlushIdle, FlushRunning) == FlushRunning)
            {
                return;
            }

            if (!FlushThreads.HasQueued)
            {
                continue;
            }

            Volatile.Write(ref _flushState, FlushQueued);
            FlushThreads.Enqueue(this);
            return;
        }
    }

    private void FlushInBackground()
    {
        try
        {
            FlushDirtySegments();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            _logger.LogError(e, "Background flush of {Directory} failed", Directory);
        }
    }

    // One group-commit round: capture the end under the write lock, fsync outside it.
    private void FlushDirtySegments()
    {
        lock (_flushLock)
        {
            if (_closed || _flushFailure is not null)
            {
                return;
            }

            LogSegment[] dirty;
            RecoveryPoint point;
            lock (_writeLock)
            {
                var segments = _segments;
                point = new RecoveryPoint(segments[^1].BaseOffset, segments[^1].Size, _logEndOffset);
                dirty = [.. segments.Where(s => s.IsDirty && s.TryAcquire())];
            }

            try
            {
                BeforeGroupCommitFsync?.Invoke();
                foreach (var segment in dirty)
                {
                    segment.FlushToDisk();
                }
            }
            catch (IOException e)
            {
                // After a failed fsync the kernel may have dropped the dirty pages: never ack again.
                _flushFailure = e;
                _logger.LogCritical(e, "fsync of {Directory} failed; the log is now offline", Directory);
            }
            finally
            {
                foreach (var segment in dirty)
                {
                    segment.Release();
                }
            }

            if (_flushFailure is null)
            {
                Interlocked.Increment(ref _flushCount);
                MarkDurable(point);
            }
        }

        SignalAdvanced();
    }

    // Both locks held: fsync everything now.
    private void FlushAllLocked()
    {
        foreach (var segment in _segments)
        {
            if (segment.IsDirty)
            {
                segment.FlushToDisk();
            }
        }

        Interlocked.Increment(ref _flushCount);
        var active = _segments[^1];
        MarkDurable(new RecoveryPoint(active.BaseOffset, active.Size, _logEndOffset));
    }

    // Flush lock held.
    private void MarkDurable(RecoveryPoint point)
    {
        if (point.Offset < Volatile.Read(ref _durableOffset))
        {
            return;
        }

        Volatile.Write(ref _durableOffset, point.Offset);
        _durablePoint = point;
        if (_config.FlushPolicy == FlushPolicy.Durable)
        {
            AdvanceHighWatermark(point.Offset);
        }
    }

    private void AdvanceHighWatermark(long offset)
    {
        var current = Volatile.Read(ref _highWatermark);
        while (offset > current)
        {
            var seen = Interlocked.CompareExchange(ref _highWatermark, offset, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    // Both locks held. Index files first: the checkpoint promises they cover what precedes it.
    private void WriteRecoveryCheckpointLocked()
    {
        var point = _durablePoint;
        if (point == _checkpointed)
        {
            return;
        }

        foreach (var segment in _segments)
        {
            segment.FlushIndexes(fsync: false);
        }

        CheckpointFile.Write(Path.Combine(Directory, CheckpointFile.RecoveryPointName),
            point.SegmentBaseOffset, point.Position, point.Offset);
        _checkpointed = point;
    }

    // Outside all locks: wake waiters, tell the fetch long-poll.
    private void SignalAdvanced()
    {
        var old = Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        old.TrySetResult();
        var hw = HighWatermark;
        var announced = Volatile.Read(ref _announcedHighWatermark);
        if (hw > announced && Interlocked.CompareExchange(ref _announcedHighWatermark, hw, announced) == announced)
        {
            try
            {
                HighWatermarkAdvanced?.Invoke(this);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "A high watermark listener of {Directory} threw", Directory);
            }
        }
    }
}
