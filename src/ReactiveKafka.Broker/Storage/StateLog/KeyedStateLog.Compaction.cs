using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.StateLog;

internal sealed partial class KeyedStateLog<TRecord>
{
    private int _compactions;
    private long _lastCompactionTicks;

    /// <summary>The record count at which the thresholds are checked next (asking the live count every batch would cost).</summary>
    private long _nextCompactionCheck;

    /// <summary>Compacts when over both thresholds; runs at open or on the flusher, never beside a write.</summary>
    private void MaybeCompact()
    {
        if (_length < _options.CompactionMinBytes || _recordsInFile < _nextCompactionCheck)
        {
            return;
        }

        var dead = _recordsInFile - _machine.LiveCount;
        if (dead <= 0 || dead < _recordsInFile * _options.CompactionMinDeadRatio)
        {
            _nextCompactionCheck = _recordsInFile + Math.Max(1, _recordsInFile / 16);
            return;
        }

        try
        {
            Compact();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The old file is complete and still in use; try again after a good share more records.
            _nextCompactionCheck = _recordsInFile + Math.Max(64, _recordsInFile / 4);
            _logger.LogWarning(e, "Compacting {Path} failed; it keeps growing until a compaction succeeds", Path);
        }
    }

    /// <summary>
    /// Rewrites the file with only the live records: temporary file, fsync, rename over the log, directory fsync. The
    /// temporary file's handle becomes the log's, so no reopen can fail after the rename.
    /// </summary>
    private void Compact()
    {
        var started = Stopwatch.GetTimestamp();
        var live = _machine.LiveRecords();
        var temporary = Path + CompactingSuffix;
        FileStream? output = null;
        try
        {
            output = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 64 * 1024, FileOptions.None);
            using (var frames = new FrameWriter<TRecord>(_machine))
            {
                foreach (var record in live)
                {
                    output.Write(frames.Encode(record));
                }
            }

            output.Flush(flushToDisk: true);
            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            output?.Dispose();
            TryDelete(temporary);
            throw;
        }

        DurableFile.SyncDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var before = _length;
        var old = _file;
        _file = output;
        old.Dispose();
        Volatile.Write(ref _length, output.Position);
        Volatile.Write(ref _recordsInFile, live.Count);
        _dirty = false;
        _nextCompactionCheck = 0;
        var elapsed = Stopwatch.GetElapsedTime(started);
        Volatile.Write(ref _lastCompactionTicks, elapsed.Ticks);
        Interlocked.Increment(ref _compactions);
        _logger.LogInformation("Compacted {Path}: {Before} bytes to {After} bytes, {Records} live records, in {Elapsed} ms",
            Path, before, output.Position, live.Count, elapsed.TotalMilliseconds);
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug(e, "Could not delete {Temporary}; the next open deletes it", path);
        }
    }
}
