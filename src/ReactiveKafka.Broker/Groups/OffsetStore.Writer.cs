namespace ReactiveKafka.Broker.Groups;

internal sealed partial class OffsetStore
{
    private readonly Lock _queueLock = new();
    private List<PendingWrite> _queue = [];
    private Task _flusher = Task.CompletedTask;
    private bool _flushing;
    private bool _disposed;

    /// <summary>The file length after the last successful flush; a failed write is cut back to it.</summary>
    private long _length;

    /// <summary>
    /// Enqueues <paramref name="records"/> (synchronously, in call order) and returns a task that
    /// completes when they are fsync'd and visible to readers, or faults when the write failed.
    /// </summary>
    public Task Append(params IReadOnlyList<OffsetLogRecord> records)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        var frames = records.Select(r => r.ToFrame()).ToArray();
        var write = new PendingWrite(records, frames, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Add(write);
            if (!_flushing)
            {
                _flushing = true;

                // fsync blocks its thread: do it on the thread pool, never on the caller (who may hold a group lock).
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
                    foreach (var frame in write.Frames)
                    {
                        _file.Write(frame);
                    }
                }

                _file.Flush(flushToDisk: true);
                _length = _file.Position;
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

            lock (_stateLock)
            {
                foreach (var write in batch)
                {
                    foreach (var record in write.Records)
                    {
                        Apply(record);
                    }
                }
            }

            foreach (var write in batch)
            {
                write.Done.TrySetResult();
            }
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

    private void ReopenAfterCompaction()
    {
        var path = _file.Name;
        _file.Dispose();
        _file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
    }

    private sealed record PendingWrite(IReadOnlyList<OffsetLogRecord> Records, byte[][] Frames, TaskCompletionSource Done);
}
