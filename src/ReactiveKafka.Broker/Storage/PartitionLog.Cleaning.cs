using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Storage.Cleaning;

namespace ReactiveKafka.Broker.Storage;

/// <summary>What the log cleaner needs from a log: a stable view of its inactive segments, and the atomic swap.</summary>
internal sealed partial class PartitionLog
{
    /// <summary>How <see cref="ReplaceSegments"/> ended.</summary>
    internal enum ReplaceOutcome
    {
        /// <summary>The cleaned segment replaced the group.</summary>
        Replaced,

        /// <summary>Nothing changed (the log moved on or closed); the caller deletes the cleaned segment.</summary>
        Abandoned,

        /// <summary>A rename failed mid-swap: the log is offline and the next open finishes or rolls back the swap.</summary>
        Failed,
    }

    /// <summary>Test hook: runs at each step of a segment swap, inside the write lock (a throw stands for a crash there).</summary>
    internal Action<SegmentSwap.Step>? SwapStepHook { get; set; }

    /// <summary>The partition's name as Kafka prints it, <c>topic-partition</c> (the directory name).</summary>
    public string Name => Path.GetFileName(Directory);

    /// <summary>Whether the log is closed (deleted or disposed).</summary>
    public bool IsClosed => _closed;

    /// <summary>Whether the log refuses writes after a failed fsync or segment swap.</summary>
    public bool IsOffline => _flushFailure is not null;

    /// <summary>
    /// The current segments, the active one last, with a reader reference taken on every inactive one (dispose the
    /// result to release them): the cleaner reads them while appends, retention and fetches go on.
    /// </summary>
    public CleaningView AcquireForCleaning()
    {
        while (true)
        {
            var segments = _segments;
            var acquired = 0;
            while (acquired < segments.Length - 1 && segments[acquired].TryAcquire())
            {
                acquired++;
            }

            if (acquired == segments.Length - 1)
            {
                return new CleaningView(segments, LogStartOffset, LogEndOffset, LastStableOffset);
            }

            // A segment went (retention) between the snapshot and the acquire: take a fresh snapshot.
            for (var i = 0; i < acquired; i++)
            {
                segments[i].Release();
            }
        }
    }

    /// <summary>
    /// Swaps <paramref name="cleaned"/> (written, fsync'd, named <c>.cleaned</c>) in for <paramref name="replaced"/>, a
    /// run of consecutive inactive segments starting at the cleaned segment's base offset, in the steps of
    /// <see cref="SegmentSwap"/>. Abandons the swap when the log closed, stopped being compacted, or no longer holds
    /// exactly that run (retention or DeleteRecords removed some of it meanwhile).
    /// </summary>
    public ReplaceOutcome ReplaceSegments(IReadOnlyList<LogSegment> replaced, LogSegment cleaned)
    {
        ArgumentOutOfRangeException.ThrowIfZero(replaced.Count);
        SwapStepHook?.Invoke(SegmentSwap.Step.Written);
        lock (_writeLock)
        {
            var segments = _segments;
            var at = Array.IndexOf(segments, replaced[0]);
            if (_closed || !_config.Compact || _flushFailure is not null || at < 0 || at + replaced.Count >= segments.Length ||
                !segments.AsSpan(at, replaced.Count).SequenceEqual(replaced.ToArray()) || cleaned.BaseOffset != replaced[0].BaseOffset)
            {
                return ReplaceOutcome.Abandoned;
            }

            try
            {
                cleaned.RenameTo(LogSegment.SwapSuffix);
                DurableFile.SyncDirectory(Directory);
                SwapStepHook?.Invoke(SegmentSwap.Step.Swappable);
                foreach (var segment in replaced)
                {
                    segment.RenameTo(LogSegment.DeletedSuffix);
                }

                SwapStepHook?.Invoke(SegmentSwap.Step.OldRenamed);
                cleaned.RenameTo("");
                DurableFile.SyncDirectory(Directory);
                SwapStepHook?.Invoke(SegmentSwap.Step.Live);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Disk and names now disagree with the segment list: stop taking writes (as an fsync failure does);
                // reads go on from the open handles, and the next open completes or rolls back the swap.
                _flushFailure = e;
                _logger.LogCritical(e, "Swapping in cleaned segment {Segment} failed; {Directory} is offline until restart", cleaned.LogPath, Directory);
                return ReplaceOutcome.Failed;
            }

            _segments = [.. segments.AsSpan(0, at), cleaned, .. segments.AsSpan(at + replaced.Count)];
        }

        foreach (var segment in replaced)
        {
            segment.MarkForDeletion();
        }

        return ReplaceOutcome.Replaced;
    }

    /// <summary>A snapshot of a log's segments for one clean, holding reader references on the inactive ones.</summary>
    internal sealed class CleaningView(LogSegment[] segments, long logStartOffset, long logEndOffset, long stableOffset) : IDisposable
    {
        private int _disposed;

        /// <summary>Every segment at the snapshot, the active one last (no reference is held on it).</summary>
        public IReadOnlyList<LogSegment> Segments { get; } = segments;

        /// <summary>The log start offset at the snapshot.</summary>
        public long LogStartOffset { get; } = logStartOffset;

        /// <summary>The log end offset at the snapshot.</summary>
        public long LogEndOffset { get; } = logEndOffset;

        /// <summary>
        /// The last stable offset at the snapshot (the high watermark unless a transaction is open): a clean stops before
        /// it, so an undecided transaction is never compacted (Kafka's first uncleanable offset).
        /// </summary>
        public long StableOffset { get; } = stableOffset;

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                for (var i = 0; i < Segments.Count - 1; i++)
                {
                    Segments[i].Release();
                }
            }
        }
    }
}
