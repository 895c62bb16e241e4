using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>The read path: Fetch and ListOffsets. Lock-free; see the class remarks.</summary>
internal sealed partial class PartitionLog
{
    /// <summary>ListOffsets' timestamp for the earliest offset.</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>ListOffsets' timestamp for the latest offset.</summary>
    public const long LatestTimestamp = -1;

    /// <summary>
    /// The whole batches starting with the one that contains <paramref name="fetchOffset"/>, up to
    /// <paramref name="maxBytes"/> — but, with <paramref name="minOneBatch"/>, always the first batch, however large
    /// (KIP-74: a fetch serves that only for the first partition with data) — and none starting at or after
    /// <paramref name="maxOffsetExclusive"/> (pass <see cref="HighWatermark"/> for consumers), as a
    /// <see cref="LogRegion"/> of the file (dispose the result when done with the bytes).
    /// Reads stay within one segment; the next fetch continues in the next one. The first batch may
    /// start before <paramref name="fetchOffset"/>: clients skip the records below it.
    /// OFFSET_OUT_OF_RANGE when <paramref name="fetchOffset"/> is below
    /// <see cref="LogStartOffset"/> or above <see cref="LogEndOffset"/>; CORRUPT_MESSAGE when it lies in damaged bytes
    /// (see <see cref="DamagedRange"/>): the batches before them are served, the consumer is told at the first damaged
    /// offset, and those after them are served to a fetch past the damage. Batches that compaction emptied of records are
    /// skipped when nothing with records follows them in the read: librdkafka takes a fetch that yields no record for a
    /// too-small fetch size, and after about ten of them fails the partition with MSG_SIZE_TOO_LARGE.
    /// </summary>
    public ReadResult Read(long fetchOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch = true)
    {
        while (true)
        {
            var segments = _segments;
            var (start, end, hw) = (LogStartOffset, LogEndOffset, HighWatermark);
            if (_closed)
            {
                return new ReadResult(ErrorCode.NotLeaderOrFollower, hw, start, end);
            }

            if (fetchOffset < start || fetchOffset > end)
            {
                return new ReadResult(ErrorCode.OffsetOutOfRange, hw, start, end);
            }

            var limit = Math.Min(maxOffsetExclusive, end);
            if (fetchOffset >= limit)
            {
                return new ReadResult(ErrorCode.None, hw, start, end);
            }

            var retry = false;
            var offset = fetchOffset;
            for (var i = FloorSegment(segments, offset); i < segments.Length; i++)
            {
                var segment = segments[i];
                if (!segment.TryAcquire())
                {
                    retry = true; // Deleted under us (retention): re-check against the new start.
                    break;
                }

                long position;
                int length;
                bool recordless;
                long lastOffset;
                try
                {
                    position = segment.FindPosition(offset, out var damage);
                    if (position == LogSegment.Damaged)
                    {
                        ReportDamagedRead(segment, offset, damage);
                        return new ReadResult(ErrorCode.CorruptMessage, hw, start, end);
                    }

                    (length, recordless, lastOffset) = position >= 0 ? MeasureBatches(segment, position, maxBytes, limit, minOneBatch) : (0, false, -1);
                }
                catch
                {
                    segment.Release();
                    throw;
                }

                if (length > 0 && recordless)
                {
                    // Only empty batches left by compaction: read on after them, in this segment or the next.
                    segment.Release();
                    offset = lastOffset + 1;
                    if (offset >= limit)
                    {
                        return new ReadResult(ErrorCode.None, hw, start, end);
                    }

                    i--;
                    continue;
                }

                if (length > 0)
                {
                    // The region takes over the reader reference.
                    return new ReadResult(ErrorCode.None, hw, start, end, new LogRegion(segment, position, length), lastOffset + 1);
                }

                segment.Release();
                if (position >= 0)
                {
                    return new ReadResult(ErrorCode.None, hw, start, end);
                }
            }

            if (!retry)
            {
                return new ReadResult(ErrorCode.None, hw, start, end);
            }
        }
    }

    /// <summary>
    /// ListOffsets by timestamp: <see cref="EarliestTimestamp"/> gives the log start offset,
    /// <see cref="LatestTimestamp"/> the high watermark; any other timestamp the offset of the first
    /// record whose timestamp is &gt;= it (see <see cref="FindByTimestamp"/>), or null when no record
    /// below the high watermark is that recent.
    /// </summary>
    public long? OffsetForTimestamp(long timestampMs)
    {
        switch (timestampMs)
        {
            case EarliestTimestamp:
                return LogStartOffset;
            case LatestTimestamp:
                return HighWatermark;
        }

        if (FindByTimestamp(timestampMs) is { } found)
        {
            return found.Offset;
        }

        return null;
    }

    /// <summary>The damaged ranges recovery kept in place, in every segment (see <see cref="DamagedRange"/>).</summary>
    public IReadOnlyList<DamagedRange> DamagedRanges() => [.. _segments.SelectMany(s => s.DamagedRanges)];

    // Once per damaged position: the fetch is refused with CORRUPT_MESSAGE, the log says where and what.
    private void ReportDamagedRead(LogSegment segment, long fetchOffset, DamagedRange damage)
    {
        if (segment.FirstReportOf(damage.Position))
        {
            _logger.LogError("Fetch at offset {Offset} of {Directory} refused with CORRUPT_MESSAGE: {Segment} holds damaged data, {Damage}. " +
                             "Consumers must seek past offset {LastOffset} (or DeleteRecords up to it); the bytes are kept in place. Run the server's verify mode for a full report",
                fetchOffset, Directory, segment.LogPath, damage, damage.LastOffset);
        }
    }

    // Index of the last segment whose base offset is <= offset (0 when offset precedes all).
    private static int FloorSegment(LogSegment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    // The length of the whole batches from position: walks the batch headers, reading the file in small chunks so
    // that many small batches cost few reads and a large batch costs one chunk, never its size in memory.
    // Also says whether none of those batches holds a record, and the last offset they cover.
    private static (int Length, bool Recordless, long LastOffset) MeasureBatches(LogSegment segment, long position, int maxBytes, long limit, bool minOneBatch)
    {
        const int ChunkSize = 8 * 1024;
        Span<byte> chunk = stackalloc byte[ChunkSize];
        long used = 0;
        var stop = Math.Min(segment.Size, segment.NextDamageAfter(position)); // damaged bytes are never served
        var expected = long.MinValue;
        var recordless = true;
        var lastOffset = -1L;
        while (true)
        {
            var read = segment.Read(position + used, chunk);
            var walked = 0;
            while (RecordBatchHeader.TryRead(chunk[walked..read], out var header) && header.BaseOffset < limit)
            {
                var total = (long)header.BatchLength + RecordBatchHeader.LogOverhead;
                var fits = used + total <= maxBytes || (used == 0 && minOneBatch); // KIP-74: the first batch whole.
                if (!segment.IsPlausible(header, position + used, stop, expected) || !fits || used + total > int.MaxValue)
                {
                    // A header that cannot be a batch's is damage: serve what came before it, never loop on it.
                    return ((int)used, recordless, lastOffset);
                }

                expected = header.LastOffset + 1;
                used += total;
                walked += (int)total;
                recordless &= header.RecordCount == 0;
                lastOffset = header.LastOffset;
                if (walked > read - RecordBatchHeader.Size)
                {
                    break;
                }
            }

            if (walked == 0)
            {
                return ((int)used, recordless, lastOffset);
            }
        }
    }
}
