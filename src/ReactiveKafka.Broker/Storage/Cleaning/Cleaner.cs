using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// Cleans one compacted log once (Kafka's <c>Cleaner.doClean</c>): maps the latest offset of every key in the dirty
/// section, then rewrites the log from its start up to the end of what was mapped, group by group, each group into one
/// cleaned segment swapped in atomically (<see cref="SegmentSwap"/>). Offsets never change; records keep their
/// original offsets, and a consumer fetching a removed offset gets the next record.
/// </summary>
/// <remarks>
/// <para>Never touches the active segment nor anything at or after the range's first uncleanable offset. Bounded
/// memory: the offset map (at most <see cref="CleanerOptions.DedupeBufferSize"/>, less when the dirty section has fewer
/// offsets), one read buffer and one write buffer of <see cref="CleanerOptions.IoBufferSize"/> (a batch larger than
/// that gets a buffer of its own size while it is read), and one decoded batch at a time. When the dirty section has
/// more keys than the map holds, the clean stops mapping there and cleans what it mapped; the rest stays dirty.</para>
/// <para>Thread-safety: one clean at a time per instance (the cleaner thread); it runs alongside appends, fetches and
/// retention on the same log, which it only reads until the swap, done under the log's write lock.</para>
/// </remarks>
internal sealed class Cleaner(CleanerOptions options, IoThrottle throttle, ILogger logger)
{
    /// <summary>The options.</summary>
    public CleanerOptions Options { get; } = options;

    /// <summary>
    /// Cleans <paramref name="log"/> over <paramref name="range"/> at time <paramref name="nowMs"/>. Returns what it
    /// did; <see cref="CleanerStats.EndOffset"/> is the next first dirty offset (-1 when nothing was cleaned).
    /// </summary>
    /// <exception cref="OperationCanceledException">The cleaner is stopping; the partial clean was rolled back.</exception>
    /// <exception cref="ProtocolException">A batch is corrupt (CRC, compression).</exception>
    /// <exception cref="InvalidDataException">A segment's framing is corrupt.</exception>
    public CleanerStats Clean(PartitionLog log, CleanableRange range, long nowMs, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var stats = new CleanerStats();
        var config = log.Config;
        using var view = log.AcquireForCleaning();
        var segments = view.Segments.Take(view.Segments.Count - 1).Where(s => s.BaseOffset < range.FirstUncleanableOffset).ToList();
        if (segments.Count == 0)
        {
            return stats;
        }

        // Sized to what the dirty section can need: one slot per offset at most.
        var dirtyOffsets = Math.Max(1, range.FirstUncleanableOffset - range.FirstDirtyOffset);
        var wanted = (long)Math.Ceiling(dirtyOffsets / Options.DedupeBufferLoadFactor) + 2;
        var map = new OffsetMap(Math.Min(Options.DedupeBufferSize, wanted * OffsetMap.BytesPerSlot), Options.DedupeBufferLoadFactor);
        stats.MapMemoryBytes = map.MemoryBytes;

        // The aborted transactions overlapping what a clean can touch: their records are neither mapped nor kept.
        var aborted = log.AbortedTransactions(segments[0].BaseOffset, range.FirstUncleanableOffset);
        BuildOffsetMap(segments, range, map, new AbortedTransactionTracker(aborted), stats, cancellationToken);
        stats.MapUtilization = map.Utilization;
        var end = map.LatestOffset + 1;
        if (end <= range.FirstDirtyOffset)
        {
            return stats;
        }

        var toClean = segments.Where(s => s.BaseOffset < end).ToList();
        var extents = toClean.Select(s => new SegmentExtent(s.BaseOffset, s.Size,
            (long)s.IndexEntryCount * OffsetIndex.EntrySize, (long)s.TimeIndexEntryCount * TimeIndex.EntrySize)).ToList();
        ProducerLastBatches? producers = null;
        var transactions = new AbortedTransactionTracker(aborted);
        foreach (var (start, count) in SegmentGrouper.Group(extents, config.SegmentBytes, config.SegmentIndexBytes, end))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!CleanGroup(log, config, toClean, start, count, map, transactions, nowMs, stats, ref producers, cancellationToken))
            {
                stats.Aborted = true;
                break;
            }
        }

        stats.EndOffset = stats.Aborted ? -1 : end;
        stats.Elapsed = watch.Elapsed;
        return stats;
    }

    // Kafka's buildOffsetMap: every keyed record of [first dirty, first uncleanable), until the map is full.
    private void BuildOffsetMap(List<LogSegment> segments, CleanableRange range, OffsetMap map, AbortedTransactionTracker transactions, CleanerStats stats, CancellationToken cancellationToken)
    {
        var start = range.FirstDirtyOffset;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var nextBase = i + 1 < segments.Count ? segments[i + 1].BaseOffset : range.FirstUncleanableOffset;
            if (nextBase <= start)
            {
                continue;
            }

            var position = segment.FindPosition(start, out _);
            if (position < 0)
            {
                map.UpdateLatestOffset(nextBase - 1);
                continue;
            }

            using var reader = new SegmentBatchReader(segment, position, Options.IoBufferSize);
            while (reader.TryNext(out _, out var header, out var batch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                // An aborted transaction's records are not mapped (Kafka's CleanedTransactionMetadata.onBatchRead):
                // an aborted value must never make a committed one look superseded.
                var verdict = header.IsControl
                    ? transactions.OnControlBatch(header, MarkerType(batch), out _)
                    : transactions.OnDataBatch(header);
                if (!header.IsControl && verdict != TransactionVerdict.AbortedData && header.LastOffset >= start)
                {
                    foreach (var record in RecordBatchReader.ReadSingle(batch).Records)
                    {
                        if (record.Key is { } key && record.Offset >= start)
                        {
                            if (!map.TryPut(key.Span, record.Offset))
                            {
                                stats.MapBytesRead += reader.BytesRead;
                                throttle.Account(reader.BytesRead, cancellationToken);
                                return; // Full: clean what fits; the rest stays dirty for the next round.
                            }
                        }

                        stats.MapRecordsRead++;
                    }
                }

                if (header.LastOffset >= start)
                {
                    map.UpdateLatestOffset(header.LastOffset);
                }
            }

            stats.MapBytesRead += reader.BytesRead;
            throttle.Account(reader.BytesRead, cancellationToken);
            map.UpdateLatestOffset(nextBase - 1);
        }
    }

    // Kafka's cleanSegments: one group into one cleaned segment, then the swap. False when the swap was abandoned.
    private bool CleanGroup(
        PartitionLog log,
        LogConfig config,
        List<LogSegment> segments,
        int start,
        int count,
        OffsetMap map,
        AbortedTransactionTracker transactions,
        long nowMs,
        CleanerStats stats,
        ref ProducerLastBatches? producers,
        CancellationToken cancellationToken)
    {
        if (log.IsClosed)
        {
            return false;
        }

        var group = segments.GetRange(start, count);
        var cleaned = LogSegment.CreateCleaned(log.Directory, group[0].BaseOffset, config.IndexIntervalBytes);
        var retainedAborts = new List<AbortedTxn>();
        try
        {
            using var output = new ProtocolWriter(Options.IoBufferSize);
            for (var g = 0; g < group.Count; g++)
            {
                var segment = group[g];
                using var reader = new SegmentBatchReader(segment, 0, Options.IoBufferSize);
                while (reader.TryNext(out var position, out var header, out var batch))
                {
                    cancellationToken.ThrowIfCancellationRequested();

                    // Keep, even empty: the group's last batch (the cleaned segment then ends where the group did, which
                    // swap recovery relies on) and a producer's last batch (its last sequence and epoch).
                    // The producers' last batches are found the first time a batch with a producer id is met, from there
                    // to the end of the cleaned range.
                    var keepIfEmpty = (g == group.Count - 1 && position + header.TotalSize == segment.Size) ||
                                      (header.HasProducerId && (producers ??= ProducerLastBatches.Build(segments, start + g, position)).IsLastOfProducer(header));
                    TransactionVerdict verdict;
                    if (header.IsControl)
                    {
                        verdict = transactions.OnControlBatch(header, MarkerType(batch), out var retained);
                        if (retained is { } abort)
                        {
                            retainedAborts.Add(abort);
                        }
                    }
                    else
                    {
                        verdict = transactions.OnDataBatch(header);
                    }

                    var result = BatchFilter.Filter(batch, header, map, nowMs, config.DeleteRetentionMs, keepIfEmpty, output, verdict);
                    stats.RecordsRead += result.RecordsRead;
                    stats.RecordsRetained += result.RecordsRetained;
                    if (output.Length >= Options.IoBufferSize)
                    {
                        Write(cleaned, output, nowMs, stats, cancellationToken);
                    }
                }

                stats.BytesRead += reader.BytesRead;
                throttle.Account(reader.BytesRead, cancellationToken);
            }

            Write(cleaned, output, nowMs, stats, cancellationToken);

            // The aborts whose marker stays (Kafka's cleaned transaction index): those of aborted transactions whose
            // batches this clean met. An abort whose marker sits in the group but whose batches were all removed
            // earlier is not needed any more.
            foreach (var aborted in retainedAborts.OrderBy(a => a.LastOffset))
            {
                cleaned.AppendAbortedTransaction(aborted);
            }

            cleaned.FlushToDisk();
            cleaned.FlushIndexes(fsync: true);
        }
        catch
        {
            cleaned.MarkForDeletion(); // Still the .cleaned files: nothing of the log changed.
            throw;
        }

        // No catch from here: an exception out of the swap (a test's simulated crash) must leave the files as they are.
        switch (log.ReplaceSegments(group, cleaned))
        {
            case PartitionLog.ReplaceOutcome.Replaced:
                stats.SegmentsReplaced += group.Count;
                stats.SegmentsWritten++;
                logger.LogDebug("Swapped cleaned segment {Segment} in for {Count} segments of {Log}", cleaned, group.Count, log.Name);
                return true;
            case PartitionLog.ReplaceOutcome.Abandoned:
                cleaned.MarkForDeletion();
                return false;
            default:
                return false;
        }
    }

    // The type of a control batch's marker; null for an empty (already cleaned) or unreadable one.
    private static ControlRecordType? MarkerType(ReadOnlyMemory<byte> batch)
    {
        var records = RecordBatchReader.ReadSingle(batch).Records;
        return records.Count > 0 && records[0].Key is { } key ? ControlRecord.ReadType(key.Span) : null;
    }

    private void Write(LogSegment cleaned, ProtocolWriter output, long nowMs, CleanerStats stats, CancellationToken cancellationToken)
    {
        if (output.Length == 0)
        {
            return;
        }

        cleaned.Append(output.WrittenSpan, nowMs);
        stats.BytesWritten += output.Length;
        throttle.Account(output.Length, cancellationToken);
        output.Reset();
    }
}
