using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.StateLog;

internal sealed partial class KeyedStateLog<TRecord>
{
    private int _compactions;
    private long _lastCompactionTicks;
    private long _lastPauseTicks;
    private long _lastSnapshotTicks;

    /// <summary>The record count at which the thresholds are checked next (asking the live count every batch would cost).</summary>
    private long _nextCompactionCheck;

    /// <summary>The compaction whose snapshot is being written beside the flusher, or null; flusher-owned.</summary>
    private CompactionRun? _running;

    /// <summary>
    /// Called at each step of a compaction (<see cref="CompactionStep"/>) on the thread that took it, so tests can stop
    /// there and copy the files as a crash would leave them.
    /// </summary>
    internal Action<CompactionStep>? CompactionStepHook { get; set; }

    /// <summary>
    /// How long the flusher stopped writing for the last compaction: the whole rewrite when inline; when concurrent,
    /// taking the live set plus copying the tail and the swap.
    /// </summary>
    public TimeSpan LastCompactionFlusherPause => TimeSpan.FromTicks(Volatile.Read(ref _lastPauseTicks));

    /// <summary>Of <see cref="LastCompactionFlusherPause"/>, how long taking the live set and creating the temporary file took.</summary>
    public TimeSpan LastCompactionSnapshotDuration => TimeSpan.FromTicks(Volatile.Read(ref _lastSnapshotTicks));

    /// <summary>
    /// Finishes a compaction whose snapshot is written, or starts one when over both thresholds. Runs at open or on the
    /// flusher between batches, never beside a write to the log.
    /// </summary>
    private void MaybeCompact(bool inline = false)
    {
        if (_running is { } running)
        {
            if (running.Writing.IsCompleted)
            {
                _running = null;
                Finish(running, inline: false);
            }

            return;
        }

        if (_length < _options.CompactionMinBytes || _recordsInFile < _nextCompactionCheck)
        {
            return;
        }

        var live = _machine.LiveCount;
        var dead = _recordsInFile - live;
        if (dead <= 0 || dead < _recordsInFile * _options.CompactionMinDeadRatio)
        {
            _nextCompactionCheck = _recordsInFile + Math.Max(1, _recordsInFile / 16);
            return;
        }

        CompactionRun run;
        try
        {
            run = Begin();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(e);
            return;
        }

        if (inline || live < _options.ConcurrentCompactionMinRecords)
        {
            // Small (or at open, where nothing waits): cheaper than a hand-off.
            WriteSnapshot(run, CancellationToken.None, catchUp: false);
            Finish(run, inline: true);
            return;
        }

        // The snapshot is written off the flusher; appends keep going to the log and are copied over at the swap.
        run.Writing = Task.Run(() =>
        {
            try
            {
                WriteSnapshot(run, run.Cancel.Token, catchUp: true);
            }
            finally
            {
                RequestSwap();
            }
        });
        _running = run;
    }

    /// <summary>
    /// Takes the live set, which is exactly what the file holds up to <see cref="_length"/> (every written batch is
    /// applied before the flusher gets here), and opens the temporary file.
    /// </summary>
    private CompactionRun Begin()
    {
        var started = Stopwatch.GetTimestamp();
        var run = new CompactionRun(started, _machine.LiveRecords(), _length, _recordsInFile, Path + CompactingSuffix);
        run.Output = new FileStream(run.Temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 64 * 1024, FileOptions.None);
        run.SnapshotTicks = Stopwatch.GetElapsedTime(started).Ticks;
        CompactionStepHook?.Invoke(CompactionStep.SnapshotTaken);
        return run;
    }

    /// <summary>
    /// Writes the live records to the temporary file; when beside the flusher, also copies what was appended to the log
    /// meanwhile (a catch-up, so the flusher has less to copy at the swap); then fsyncs it. A failure is kept in the run
    /// for <see cref="Finish"/>.
    /// </summary>
    private void WriteSnapshot(CompactionRun run, CancellationToken cancel, bool catchUp)
    {
        try
        {
            using (var frames = new FrameWriter<TRecord>(_machine))
            {
                foreach (var record in run.Live)
                {
                    cancel.ThrowIfCancellationRequested();
                    run.Output!.Write(frames.Encode(record));
                }
            }

            CompactionStepHook?.Invoke(CompactionStep.SnapshotWritten);
            run.CopiedTo = run.StartLength;
            if (catchUp)
            {
                // Everything below _length is written (it moves after the write); the flusher keeps appending past it.
                var to = Volatile.Read(ref _length);
                using var reader = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                CopyRange(reader, run.StartLength, to, run.Output!);
                run.CopiedTo = to;
            }

            run.Output!.Flush(flushToDisk: true);
            CompactionStepHook?.Invoke(CompactionStep.CaughtUp);
        }
        catch (Exception e)
        {
            run.Error = e;
        }
    }

    /// <summary>
    /// On the flusher: appends the frames written to the log since the snapshot was taken (since the catch-up, when there
    /// was one) to the temporary file, fsyncs it, renames it over the log and fsyncs the directory; the temporary file's handle becomes the log's, so no reopen
    /// can fail after the rename. Until the rename the old log is complete, so a crash at any step loses nothing.
    /// </summary>
    private void Finish(CompactionRun run, bool inline)
    {
        var paused = Stopwatch.GetTimestamp();
        var output = run.Output!;
        try
        {
            if (run.Error is { } error)
            {
                throw new IOException($"Writing {run.Temporary} failed.", error);
            }

            if (_length > run.CopiedTo)
            {
                CopyRange(_file, run.CopiedTo, _length, output);
                _file.Seek(_length, SeekOrigin.Begin);
                output.Flush(flushToDisk: true);
            }

            CompactionStepHook?.Invoke(CompactionStep.TailCopied);
            File.Move(run.Temporary, Path, overwrite: true);
        }
        catch (Exception e)
        {
            // Before the rename the old log is complete and still in use: drop the temporary file, write on.
            output.Dispose();
            TryDelete(run.Temporary);
            _file.Seek(_length, SeekOrigin.Begin);
            Failed(e);
            return;
        }

        CompactionStepHook?.Invoke(CompactionStep.Renamed);
        DurableFile.SyncDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var before = _length;
        var tailRecords = _recordsInFile - run.StartRecords;
        var old = _file;
        _file = output;
        old.Dispose();
        Volatile.Write(ref _length, output.Position);
        Volatile.Write(ref _recordsInFile, run.Live.Count + tailRecords);
        _dirty = false;
        _nextCompactionCheck = 0;
        var elapsed = Stopwatch.GetElapsedTime(run.Started);
        Volatile.Write(ref _lastCompactionTicks, elapsed.Ticks);
        var swap = Stopwatch.GetElapsedTime(paused);
        Volatile.Write(ref _lastPauseTicks, inline ? elapsed.Ticks : run.SnapshotTicks + swap.Ticks);
        Volatile.Write(ref _lastSnapshotTicks, run.SnapshotTicks);
        Interlocked.Increment(ref _compactions);
        CompactionStepHook?.Invoke(CompactionStep.Swapped);
        _logger.LogInformation(
            "Compacted {Path}: {Before} bytes to {After} bytes, {Records} live records and {Tail} written meanwhile, in {Elapsed} ms (snapshot {Snapshot} ms and swap {Swap} ms on the flusher)",
            Path, before, output.Position, run.Live.Count, tailRecords, elapsed.TotalMilliseconds, TimeSpan.FromTicks(run.SnapshotTicks).TotalMilliseconds, swap.TotalMilliseconds);
    }

    /// <summary>Copies the bytes of <paramref name="source"/> in [<paramref name="from"/>, <paramref name="to"/>) to the end of <paramref name="output"/>.</summary>
    private void CopyRange(FileStream source, long from, long to, FileStream output)
    {
        if (to <= from)
        {
            return;
        }

        var buffer = new byte[(int)Math.Min(to - from, 1 << 20)];
        source.Seek(from, SeekOrigin.Begin);
        for (var position = from; position < to;)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, to - position));
            if (read == 0)
            {
                throw new IOException($"{Path} ended at {position} bytes, before the {to} written.");
            }

            output.Write(buffer, 0, read);
            position += read;
        }
    }

    /// <summary>The old file is complete and still in use; try again after a good share more records.</summary>
    private void Failed(Exception e)
    {
        _nextCompactionCheck = _recordsInFile + Math.Max(64, _recordsInFile / 4);
        _logger.LogWarning(e, "Compacting {Path} failed; it keeps growing until a compaction succeeds", Path);
    }

    /// <summary>On close: stops a snapshot being written and deletes its temporary file (the log is complete).</summary>
    private async ValueTask AbandonCompactionAsync()
    {
        if (_running is not { } run)
        {
            return;
        }

        _running = null;
        await run.Cancel.CancelAsync().ConfigureAwait(false);
        await run.Writing.ConfigureAwait(false);
        run.Cancel.Dispose();
        await run.Output!.DisposeAsync().ConfigureAwait(false);
        TryDelete(run.Temporary);
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

    /// <summary>One compaction: the live set as of <see cref="StartLength"/> and the temporary file it is written to.</summary>
    private sealed class CompactionRun(long started, IReadOnlyCollection<TRecord> live, long startLength, long startRecords, string temporary)
    {
        public long Started { get; } = started;

        public IReadOnlyCollection<TRecord> Live { get; } = live;

        /// <summary>The log's length when the live set was taken: what follows is copied at the swap.</summary>
        public long StartLength { get; } = startLength;

        public long StartRecords { get; } = startRecords;

        public string Temporary { get; } = temporary;

        public FileStream? Output { get; set; }

        public Task Writing { get; set; } = Task.CompletedTask;

        public CancellationTokenSource Cancel { get; } = new();

        public Exception? Error { get; set; }

        /// <summary>How far the log is copied into the temporary file: the snapshot's start, or the catch-up's end.</summary>
        public long CopiedTo { get; set; }

        /// <summary>How long taking the live set and creating the temporary file took (on the flusher).</summary>
        public long SnapshotTicks { get; set; }
    }
}

/// <summary>The steps of a compaction, in order, for <see cref="KeyedStateLog{TRecord}.CompactionStepHook"/>.</summary>
internal enum CompactionStep
{
    /// <summary>The live set is taken and the temporary file created (on the flusher).</summary>
    SnapshotTaken,

    /// <summary>The live records are in the temporary file, not yet fsync'd (beside the flusher when concurrent).</summary>
    SnapshotWritten,

    /// <summary>
    /// When concurrent, what was appended to the log until now is copied after them; the temporary file is fsync'd (beside
    /// the flusher).
    /// </summary>
    CaughtUp,

    /// <summary>The frames appended since are copied to the temporary file and fsync'd; the rename is next (on the flusher).</summary>
    TailCopied,

    /// <summary>The temporary file is renamed over the log; the directory fsync is next.</summary>
    Renamed,

    /// <summary>The directory is fsync'd and the new file is the log.</summary>
    Swapped,
}
