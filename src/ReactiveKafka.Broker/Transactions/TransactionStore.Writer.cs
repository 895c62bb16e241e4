using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Transactions;

internal sealed partial class TransactionStore
{
    private readonly Lock _queueLock = new();
    private List<PendingWrite> _queue = [];
    private Task _flusher = Task.CompletedTask;
    private bool _flushing;
    private bool _disposed;
    private int _compactions;

    /// <summary>The file length after the last successful flush; a failed write is cut back to it.</summary>
    private long _length;

    /// <summary>
    /// Enqueues <paramref name="record"/> (synchronously, in call order) and returns a task that completes when it is
    /// fsync'd, or faults when the write failed (<see cref="ObjectDisposedException"/> once the store is closed).
    /// </summary>
    public Task Append(TransactionLogRecord record)
    {
        var write = new PendingWrite(record, record.ToFrame(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queueLock)
        {
            if (_disposed)
            {
                return Task.FromException(new ObjectDisposedException(nameof(TransactionStore)));
            }

            _queue.Add(write);
            if (!_flushing)
            {
                _flushing = true;

                // fsync blocks its thread: never on the caller, who may hold a transactional id's lock.
                _flusher = Task.Run(FlushLoop);
            }
        }

        return write.Done.Task;
    }

    /// <summary>Waits for queued writes, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        Task flusher;
        lock (_queueLock)
        {
            _disposed = true;
            flusher = _flusher;
        }

        await flusher.ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private void FlushLoop()
    {
        while (true)
        {
            List<PendingWrite> batch;
            lock (_queueLock)
            {
                if (_queue.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            try
            {
                foreach (var write in batch)
                {
                    _file.Write(write.Frame);
                }

                _file.Flush(flushToDisk: true);
                Volatile.Write(ref _length, _file.Position);
                _recordsInFile += batch.Count;
            }
            catch (Exception e)
            {
                CutBackAfterFailedWrite();
                foreach (var write in batch)
                {
                    write.Done.TrySetException(e);
                }

                continue;
            }

            List<TransactionLogRecord>? live = null;
            lock (_stateLock)
            {
                foreach (var write in batch)
                {
                    Apply(write.Record);
                }

                if (_length >= CompactionMinBytes && _durable.Count * 2 <= _recordsInFile)
                {
                    live = LiveRecords();
                }
            }

            foreach (var write in batch)
            {
                write.Done.TrySetResult();
            }

            if (live is not null)
            {
                CompactQuietly(live);
            }
        }
    }

    /// <summary>Compaction on the flusher: a failure leaves the old, complete file in use.</summary>
    private void CompactQuietly(List<TransactionLogRecord> live)
    {
        try
        {
            Compact(live);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Compacting {Path} failed; it keeps growing until a compaction succeeds", Path);
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
            // The disk is failing; recovery on the next open truncates at the first bad frame.
        }
    }

    private sealed record PendingWrite(TransactionLogRecord Record, byte[] Frame, TaskCompletionSource Done);
}
