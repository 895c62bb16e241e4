namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>What choosing a log to clean needs to know of one segment.</summary>
/// <param name="BaseOffset">The segment's base offset.</param>
/// <param name="Size">Bytes of its log file.</param>
/// <param name="MaxTimestamp">Its largest batch timestamp (-1 when empty).</param>
internal readonly record struct SegmentSummary(long BaseOffset, long Size, long MaxTimestamp);

/// <summary>
/// The part of a compacted log a clean may work on, and how dirty the log is (Kafka's <c>LogToClean</c> and
/// <c>LogCleanerManager.cleanableOffsets</c>): the dirty section starts at the first dirty offset (the cleaner's
/// checkpoint) and ends at the first uncleanable offset, which is the first of: the active segment's base offset (the
/// active segment is never cleaned), the last stable offset (the high watermark until transactions bring a lower
/// one), and the base of the first segment with a record younger than <c>min.compaction.lag.ms</c>.
/// Immutable; <see cref="Compute"/> is pure.
/// </summary>
/// <param name="FirstDirtyOffset">The first offset not yet deduplicated.</param>
/// <param name="FirstUncleanableOffset">The first offset a clean must not touch (a segment base).</param>
/// <param name="CleanBytes">Bytes of the segments before the dirty section.</param>
/// <param name="CleanableBytes">Bytes of the segments of the dirty section.</param>
/// <param name="CompactionOverdue">Whether a dirty inactive segment holds a record older than <c>max.compaction.lag.ms</c>.</param>
internal sealed record CleanableRange(long FirstDirtyOffset, long FirstUncleanableOffset, long CleanBytes, long CleanableBytes, bool CompactionOverdue)
{
    /// <summary>The dirty share of the log's cleanable bytes.</summary>
    public double DirtyRatio => CleanBytes + CleanableBytes == 0 ? 0 : CleanableBytes / (double)(CleanBytes + CleanableBytes);

    /// <summary>
    /// Whether the log should be cleaned now: it has dirty bytes, and they are above <c>min.cleanable.dirty.ratio</c> or
    /// overdue under <c>max.compaction.lag.ms</c>.
    /// </summary>
    public bool ShouldClean(LogConfig config) =>
        CleanableBytes > 0 && (CompactionOverdue || DirtyRatio > config.MinCleanableDirtyRatio);

    /// <summary>
    /// Computes the range of a log.
    /// </summary>
    /// <param name="segments">All segments in offset order, the active one last.</param>
    /// <param name="logStartOffset">The log start offset.</param>
    /// <param name="logEndOffset">The log end offset.</param>
    /// <param name="stableOffset">The offset below which every record is stable (the last stable offset: the high watermark unless a transaction is undecided).</param>
    /// <param name="checkpoint">The cleaner's checkpointed first dirty offset, if any.</param>
    /// <param name="nowMs">The current time.</param>
    /// <param name="config">The topic's config.</param>
    /// <param name="firstBatchTimestamp">The first batch's max timestamp of segment i (-1 when unknown); read only for <c>max.compaction.lag.ms</c>.</param>
    public static CleanableRange Compute(
        IReadOnlyList<SegmentSummary> segments,
        long logStartOffset,
        long logEndOffset,
        long stableOffset,
        long? checkpoint,
        long nowMs,
        LogConfig config,
        Func<int, long> firstBatchTimestamp)
    {
        ArgumentOutOfRangeException.ThrowIfZero(segments.Count);
        var active = segments.Count - 1;

        // A checkpoint outside the log (truncated, or records deleted below it) means: clean everything again.
        var firstDirty = checkpoint is { } c && c >= logStartOffset && c <= logEndOffset ? c : logStartOffset;

        var uncleanable = Math.Min(stableOffset, segments[active].BaseOffset);
        if (config.MinCompactionLagMs > 0)
        {
            for (var i = Floor(segments, firstDirty); i < active; i++)
            {
                if (segments[i].MaxTimestamp > nowMs - config.MinCompactionLagMs)
                {
                    uncleanable = Math.Min(uncleanable, segments[i].BaseOffset);
                    break;
                }
            }
        }

        uncleanable = Math.Max(firstDirty, uncleanable);

        // The dirty section ends at a segment boundary: the segment holding the uncleanable offset is not cleaned.
        var firstUncleanableSegment = Math.Min(Floor(segments, uncleanable), active);
        var firstUncleanableOffset = segments[firstUncleanableSegment].BaseOffset;
        var cleanable = SumSizes(segments, Math.Min(firstDirty, firstUncleanableOffset), firstUncleanableOffset);
        var clean = SumSizes(segments, long.MinValue, firstDirty);

        var overdue = false;
        if (config.MaxCompactionLagMs < long.MaxValue && nowMs - config.MaxCompactionLagMs > 0)
        {
            var cleanUntil = nowMs - config.MaxCompactionLagMs;
            for (var i = Floor(segments, firstDirty); i < active && !overdue; i++)
            {
                var timestamp = firstBatchTimestamp(i);
                overdue = timestamp > 0 && timestamp < cleanUntil;
            }
        }

        return new CleanableRange(firstDirty, firstUncleanableOffset, clean, cleanable, overdue);
    }

    // The last segment whose base offset is <= offset (0 when none is).
    private static int Floor(IReadOnlyList<SegmentSummary> segments, long offset)
    {
        var found = 0;
        for (var i = 0; i < segments.Count && segments[i].BaseOffset <= offset; i++)
        {
            found = i;
        }

        return found;
    }

    // Bytes of the segments overlapping [from, to): from the one holding `from` to the last starting before `to`.
    private static long SumSizes(IReadOnlyList<SegmentSummary> segments, long from, long to)
    {
        long sum = 0;
        for (var i = from == long.MinValue ? 0 : Floor(segments, from); i < segments.Count && segments[i].BaseOffset < to; i++)
        {
            sum += segments[i].Size;
        }

        return sum;
    }
}
