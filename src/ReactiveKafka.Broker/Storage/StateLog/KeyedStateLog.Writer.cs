using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.StateLog;

internal sealed partial class KeyedStateLog<TRecord>
{
    private readonly Lock _queueLock = new();
    private List<PendingWrite> _queue = [];
    private Task _flusher = Task.CompletedTask;
    private bool _flushing;
    private bool _syncRequested;
    private bool _swapRequested;
    private bool _disposed;
    private Timer? _intervalTimer;

    /// <summary>Whether written frames may not be fsync'd yet (only under the interval and OS policies); flusher-owned.</summary>
    private bool _dirty;

    /// <summary>The file length after the last successful write; a failed write is cut back to it.</summary>
    private long _length;

    /// <summary>The records in the file, live or superseded: the compaction trigger.</summary>
    private long _recordsInFile;

    /// <summary>
    /// Enqueues <paramref name="records"/> (synchronously, in call order) and returns a task that completes when they are
    /// in the file under the flush policy and applied to the owner's state, or faults when the write failed
    /// (<see cref="ObjectDisposedException"/> once the log is closed).
    /// </summary>
    public Task Append(IReadOnlyList<TRecord> records)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        var frames = new byte[records.Count][];
        try
        {
            using var writer = new FrameWriter<TRecord>(_machine);
            for (var i = 0; i < frames.Length; i++)
            {
                frames[i] = writer.Encode(records[i]).ToArray();
            }
        }
        catch (ArgumentException e)
        {
            return Task.FromException(e);
        }

        var write = new PendingWrite(records, frames, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queueLock)
        {
            if (_disposed)
            {
                return Task.FromException(new ObjectDisposedException(System.IO.Path.GetFileName(Path)));
            }

            _queue.Add(write);
            StartFlusher();
        }

        return write.Done.Task;
    }

    /// <summary>Waits for queued writes, fsyncs what is not yet on disk, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        Task flusher;
        lock (_queueLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            flusher = _flusher;
        }

        if (_intervalTimer is not null)
        {
            await _intervalTimer.DisposeAsync().ConfigureAwait(false);
        }

        await flusher.ConfigureAwait(false);
        await AbandonCompactionAsync().ConfigureAwait(false);
        if (_dirty)
        {
            SyncQuietly();
        }

        await _file.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the flusher unless it runs; the caller holds <see cref="_queueLock"/>.</summary>
    private void StartFlusher()
    {
        if (!_flushing)
        {
            _flushing = true;

            // fsync blocks its thread: never on the caller, who may hold a group's or transactional id's lock.
            _flusher = Task.Run(FlushLoop);
        }
    }

    private void StartIntervalFlushes()
    {
        if (_options.FlushPolicy == FlushPolicy.Interval)
        {
            _intervalTimer = new Timer(_ => RequestSync(), null, _options.FlushInterval, _options.FlushInterval);
        }
    }

    /// <summary>The interval timer's tick: an fsync round on the flusher when something was written since the last one.</summary>
    private void RequestSync()
    {
        lock (_queueLock)
        {
            if (_disposed || !Volatile.Read(ref _dirty))
            {
                return;
            }

            _syncRequested = true;
            StartFlusher();
        }
    }

    /// <summary>A compaction's snapshot is written (or failed): the flusher swaps (or drops) it between batches.</summary>
    private void RequestSwap()
    {
        lock (_queueLock)
        {
            if (_disposed)
            {
                return;
            }

            _swapRequested = true;
            StartFlusher();
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            List<PendingWrite> batch;
            bool sync;
            lock (_queueLock)
            {
                if (_queue.Count == 0 && !_syncRequested && !_swapRequested)
                {
                    _flushing = false;
                    return;
                }

                batch = _queue;
                _queue = [];
                sync = _syncRequested;
                _syncRequested = false;
                _swapRequested = false;
            }

            if (batch.Count > 0)
            {
                WriteBatch(batch);
            }

            if (sync && _dirty)
            {
                SyncQuietly();
            }

            try
            {
                MaybeCompact();
            }
            catch (Exception e)
            {
                // Never end the flusher: writers queued behind it would wait forever. The old file is complete.
                _logger.LogError(e, "Compacting {Path} failed", Path);
            }
        }
    }

    private void WriteBatch(List<PendingWrite> batch)
    {
        var records = 0;
        try
        {
            foreach (var write in batch)
            {
                foreach (var frame in write.Frames)
                {
                    _file.Write(frame);
                }

                records += write.Frames.Length;
            }

            var durable = _options.FlushPolicy == FlushPolicy.Durable;
            _file.Flush(flushToDisk: durable);
            Volatile.Write(ref _dirty, !durable);
            Volatile.Write(ref _length, _file.Position);
            Volatile.Write(ref _recordsInFile, _recordsInFile + records);
        }
        catch (Exception e)
        {
            CutBackAfterFailedWrite();
            foreach (var write in batch)
            {
                write.Done.TrySetException(e);
            }

            return;
        }

        foreach (var write in batch)
        {
            try
            {
                _machine.Apply(write.Records);
                write.Done.TrySetResult();
            }
            catch (Exception e)
            {
                // A bug in the owner's state; the records are in the file and replay on the next open.
                _logger.LogError(e, "Applying records of {Path} failed", Path);
                write.Done.TrySetException(e);
            }
        }
    }

    /// <summary>An fsync under the interval policy or on close; a failure is logged and retried by the next round.</summary>
    private void SyncQuietly()
    {
        try
        {
            _file.Flush(flushToDisk: true);
            Volatile.Write(ref _dirty, false);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "fsync of {Path} failed", Path);
        }
    }

    /// <summary>Removes a partly written batch so the next appends do not follow garbage.</summary>
    private void CutBackAfterFailedWrite()
    {
        try
        {
            _file.SetLength(_length);
            _file.Seek(_length, SeekOrigin.Begin);
        }
        catch (IOException)
        {
            // The disk is failing; recovery on the next open cuts at the first bad frame.
        }
    }

    private sealed record PendingWrite(IReadOnlyList<TRecord> Records, byte[][] Frames, TaskCompletionSource Done);
}
