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
    /// <see cref="LogStartOffset"/> or above <see cref="LogEndOffset"/>.
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
            for (var i = FloorSegment(segments, fetchOffset); i < segments.Length; i++)
            {
                var segment = segments[i];
                if (!segment.TryAcquire())
                {
                    retry = true; // Deleted under us (retention): re-check against the new start.
                    break;
                }

                long position;
                int length;
                try
                {
                    position = segment.FindPosition(fetchOffset);
                    length = position >= 0 ? MeasureBatches(segment, position, maxBytes, limit, minOneBatch) : 0;
                }
                catch
                {
                    segment.Release();
                    throw;
                }

                if (length > 0)
                {
                    // The region takes over the reader reference.
                    return new ReadResult(ErrorCode.None, hw, start, end, new LogRegion(segment, position, length));
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
    private static int MeasureBatches(LogSegment segment, long position, int maxBytes, long limit, bool minOneBatch)
    {
        const int ChunkSize = 8 * 1024;
        Span<byte> chunk = stackalloc byte[ChunkSize];
        long used = 0;
        while (true)
        {
            var read = segment.Read(position + used, chunk);
            var walked = 0;
            while (RecordBatchHeader.TryRead(chunk[walked..read], out var header) && header.BaseOffset < limit)
            {
                var total = header.TotalSize;
                var fits = used + total <= maxBytes || (used == 0 && minOneBatch); // KIP-74: the first batch whole.
                if (total < RecordBatchHeader.Size || !fits || position + used + total > segment.Size || used + total > int.MaxValue)
                {
                    // A size below a header is a corrupt batch: serve what came before it, never loop on it.
                    return (int)used;
                }

                used += total;
                walked += total;
                if (walked > read - RecordBatchHeader.Size)
                {
                    break;
                }
            }

            if (walked == 0)
            {
                return (int)used;
            }
        }
    }
}
