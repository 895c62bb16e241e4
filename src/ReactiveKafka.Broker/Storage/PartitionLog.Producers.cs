using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using ReactiveKafka.Broker.Storage.Producers;

namespace ReactiveKafka.Broker.Storage;

/// <summary>A producer's state in a partition, as DescribeProducers reports it.</summary>
/// <param name="ProducerId">The producer id.</param>
/// <param name="ProducerEpoch">Its epoch.</param>
/// <param name="LastSequence">The last sequence it wrote (-1 when none is remembered).</param>
/// <param name="LastTimestamp">The max timestamp of its last batch or marker.</param>
/// <param name="CoordinatorEpoch">The epoch of the coordinator of its last marker (-1 none).</param>
/// <param name="CurrentTxnStartOffset">The first offset of its ongoing transaction, or -1.</param>
internal readonly record struct ProducerDescription(long ProducerId, short ProducerEpoch, int LastSequence, long LastTimestamp, int CoordinatorEpoch, long CurrentTxnStartOffset);

/// <summary>
/// Producer state: idempotence and transactions on the partition (Kafka's <c>ProducerStateManager</c> inside
/// <c>UnifiedLog</c>): the last stable offset, the aborted transactions of a range, snapshots and their rebuild.
/// </summary>
/// <remarks>
/// <para>Rebuild at open (Kafka's <c>LogLoader</c> / <c>rebuildProducerState</c>): the latest snapshot at or below the
/// recovered log end is loaded (damaged or later ones are deleted), then every batch with a producer id after it is
/// replayed from the headers (control batches read their one record), which also re-adds the aborted transactions
/// of those markers to the segments' indexes (entries past the snapshot are dropped first). Without a snapshot the
/// whole log is replayed, once: a clean shutdown leaves one at the log end.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    private ProducerStateManager _producers = null!;
    private bool _hasSnapshots;

    /// <summary>
    /// The last stable offset: the first offset of the earliest transaction not yet decided (or whose marker is not yet
    /// below the high watermark), else the high watermark. read_committed consumers read up to it.
    /// </summary>
    public long LastStableOffset => _producers.LastStableOffset(HighWatermark);

    /// <summary>How many producer ids have state in this partition.</summary>
    public int ProducerCount
    {
        get
        {
            lock (_writeLock)
            {
                return _producers.Count;
            }
        }
    }

    /// <summary>The producers with state in this partition (DescribeProducers), in id order.</summary>
    public IReadOnlyList<ProducerDescription> DescribeProducers()
    {
        lock (_writeLock)
        {
            return [.. _producers.Entries.OrderBy(e => e.ProducerId).Select(e => new ProducerDescription(
                e.ProducerId, e.Epoch, e.LastSequence, e.LastTimestamp, e.CoordinatorEpoch, e.CurrentTxnFirstOffset ?? -1))];
        }
    }

    /// <summary>
    /// The aborted transactions that overlap [<paramref name="from"/>, <paramref name="upperExclusive"/>), from the
    /// segments' aborted-transaction indexes, in offset order: what a read_committed fetch of that range returns.
    /// </summary>
    public IReadOnlyList<AbortedTxn> AbortedTransactions(long from, long upperExclusive)
    {
        var segments = _segments;
        List<AbortedTxn>? found = null;
        for (var i = FloorSegment(segments, from); i < segments.Length && segments[i].BaseOffset < upperExclusive; i++)
        {
            if (segments[i].AbortedTransactions.Count > 0)
            {
                segments[i].CollectAbortedTransactions(from, upperExclusive, found ??= []);
            }
        }

        // A transaction indexed in a later segment can start before one indexed in an earlier segment only if they
        // overlap; clients expect ascending first offsets.
        return found is null ? [] : [.. found.OrderBy(t => t.FirstOffset)];
    }

    /// <summary>
    /// Forgets producers idle longer than <c>producer.id.expiration.ms</c> without an ongoing transaction (Kafka's
    /// <c>removeExpiredProducers</c>; the retention pass calls it). Returns how many.
    /// </summary>
    public int ExpireProducers(long nowMs)
    {
        lock (_writeLock)
        {
            return _closed ? 0 : _producers.RemoveExpired(nowMs, _config.ProducerIdExpirationMs);
        }
    }

    // Write lock held (a roll, a clean close): the snapshot at the log end, when there is anything to say.
    private void TakeProducerSnapshotLocked(long offset, bool always)
    {
        if (_producers.Count == 0 && !_hasSnapshots && !always)
        {
            return;
        }

        try
        {
            ProducerSnapshotFile.Write(Directory, offset, _producers.Entries);
            _hasSnapshots = true;
        }
        catch (IOException e)
        {
            // Not fatal: the next open replays from an older snapshot (or the whole log).
            _logger.LogWarning(e, "Writing the producer state snapshot of {Directory} at offset {Offset} failed", Directory, offset);
        }
    }

    // Open, before the log is shared: load the latest usable snapshot and replay the log after it.
    private void LoadProducerState(long nowMs)
    {
        _producers = new ProducerStateManager(Name);
        var end = _logEndOffset;
        var segments = _segments;
        var replayFrom = segments[0].BaseOffset;
        var snapshots = ProducerSnapshotFile.List(Directory);
        for (var i = snapshots.Count - 1; i >= 0; i--)
        {
            var (offset, path) = snapshots[i];
            if (offset > end)
            {
                _logger.LogInformation("Deleting producer snapshot {Path}: it is past the recovered log end {End}", path, end);
                File.Delete(path);
                continue;
            }

            if (ProducerSnapshotFile.Read(path) is not { } entries)
            {
                _logger.LogWarning("Deleting damaged producer snapshot {Path}; an older one or the log is used instead", path);
                File.Delete(path);
                continue;
            }

            foreach (var entry in entries)
            {
                if (entry.CurrentTxnFirstOffset is not null || nowMs - entry.LastTimestamp < _config.ProducerIdExpirationMs)
                {
                    _producers.Load(entry);
                }
            }

            replayFrom = Math.Max(replayFrom, offset);
            _hasSnapshots = true;
            break;
        }

        // Aborts at or after the replay start are re-added by the replay (an index written through before a crash may
        // hold some, or entries past a torn tail).
        foreach (var segment in segments)
        {
            segment.TruncateAbortedTransactionsFrom(replayFrom);
        }

        var replayed = ReplayProducers(segments, replayFrom);
        _producers.Publish(HighWatermark);
        if (replayed > 0 || _producers.Count > 0)
        {
            _logger.LogDebug("Producer state of {Directory}: {Producers} producers, {Replayed} batches replayed from offset {From}",
                Directory, _producers.Count, replayed, replayFrom);
        }
    }

    // Replays the batches with a producer id from `from` to the log end; returns how many.
    private int ReplayProducers(LogSegment[] segments, long from)
    {
        var replayed = 0;
        for (var i = FloorSegment(segments, from); i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.NextOffset <= from)
            {
                continue;
            }

            var position = segment.FindPosition(from, out _);
            var end = segment.Size;
            var damaged = segment.DamagedRanges;
            while (position >= 0 && position < end)
            {
                if (damaged.FirstOrDefault(r => r.Position == position) is { Length: > 0 } range)
                {
                    position = range.End;
                    continue;
                }

                if (!segment.TryReadHeader(position, out var header) || !segment.IsPlausible(header, position, end, long.MinValue))
                {
                    break;
                }

                if (header.HasProducerId && header.LastOffset >= from)
                {
                    var marker = header.IsControl ? ReadMarker(segment, position, header) : null;
                    if (_producers.Replay(header, marker) is { IsAborted: true } aborted)
                    {
                        segment.AppendAbortedTransaction(new AbortedTxn(aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset, _producers.StableOffsetAfter(aborted)));
                    }

                    replayed++;
                }

                position += header.TotalSize;
            }
        }

        return replayed;
    }

    private ControlRecord? ReadMarker(LogSegment segment, long position, in RecordBatchHeader header)
    {
        var bytes = new byte[header.TotalSize];
        if (segment.Read(position, bytes) != bytes.Length)
        {
            return null;
        }

        try
        {
            var records = RecordBatchReader.ReadSingle(bytes).Records;
            return records.Count == 0 ? null : ControlRecord.Parse(records[0]);
        }
        catch (ProtocolException e)
        {
            _logger.LogWarning("Control batch at offset {Offset} of {Directory} is unreadable, skipped in the producer state rebuild: {Reason}", header.BaseOffset, Directory, e.Message);
            return null;
        }
    }
}
