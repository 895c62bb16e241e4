using System.Buffers;
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
    /// Reads whole batches into a pooled buffer owned by the result (dispose it); see
    /// <see cref="Read(long, int, long, IBufferWriter{byte})"/> for the rules.
    /// </summary>
    public ReadResult Read(long fetchOffset, int maxBytes, long maxOffsetExclusive)
    {
        var buffer = new PooledBufferWriter(Math.Clamp(maxBytes, RecordBatchHeader.Size, 1 << 20));
        var result = Read(fetchOffset, maxBytes, maxOffsetExclusive, buffer);
        if (result.Length == 0)
        {
            buffer.Dispose();
            return result;
        }

        return new ReadResult(result.Error, result.Length, result.HighWatermark, result.LogStartOffset, result.LogEndOffset, buffer);
    }

    /// <summary>
    /// Writes into <paramref name="destination"/> the whole batches starting with the one that
    /// contains <paramref name="fetchOffset"/>, up to <paramref name="maxBytes"/> — but always the
    /// first batch, however large (KIP-74) — and none starting at or after
    /// <paramref name="maxOffsetExclusive"/> (pass <see cref="HighWatermark"/> for consumers).
    /// Reads stay within one segment; the next fetch continues in the next one. The first batch may
    /// start before <paramref name="fetchOffset"/>: clients skip the records below it.
    /// OFFSET_OUT_OF_RANGE when <paramref name="fetchOffset"/> is below
    /// <see cref="LogStartOffset"/> or above <see cref="LogEndOffset"/>.
    /// </summary>
    public ReadResult Read(long fetchOffset, int maxBytes, long maxOffsetExclusive, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (true)
        {
            var segments = _segments;
            var (start, end, hw) = (LogStartOffset, LogEndOffset, HighWatermark);
            if (_closed)
            {
                return new ReadResult(ErrorCode.NotLeaderOrFollower, 0, hw, start, end);
            }

            if (fetchOffset < start || fetchOffset > end)
            {
                return new ReadResult(ErrorCode.OffsetOutOfRange, 0, hw, start, end);
            }

            var limit = Math.Min(maxOffsetExclusive, end);
            if (fetchOffset >= limit)
            {
                return new ReadResult(ErrorCode.None, 0, hw, start, end);
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

                try
                {
                    var position = segment.FindPosition(fetchOffset);
                    if (position >= 0)
                    {
                        var length = ReadBatches(segment, position, maxBytes, limit, destination);
                        return new ReadResult(ErrorCode.None, length, hw, start, end);
                    }
                }
                finally
                {
                    segment.Release();
                }
            }

            if (!retry)
            {
                return new ReadResult(ErrorCode.None, 0, hw, start, end);
            }
        }
    }

    /// <summary>
    /// ListOffsets by timestamp: <see cref="EarliestTimestamp"/> gives the log start offset,
    /// <see cref="LatestTimestamp"/> the high watermark; any other timestamp the base offset of the
    /// first batch whose max timestamp is &gt;= it (batch granularity: records are not decoded; the
    /// time index narrows the scan), or null when no batch below the high watermark is that recent.
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

        var hw = HighWatermark;
        foreach (var segment in _segments)
        {
            if (segment.MaxTimestamp < timestampMs || !segment.TryAcquire())
            {
                continue;
            }

            try
            {
                if (segment.FindOffsetByTimestamp(timestampMs) is { } offset)
                {
                    return offset < hw ? Math.Max(offset, LogStartOffset) : null;
                }
            }
            finally
            {
                segment.Release();
            }
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

    // One read of up to maxBytes straight into the destination, then a walk over the headers in
    // memory to cut at the last whole batch below the limit. Only when the first batch alone is
    // larger than what was read is it read again in full.
    private static int ReadBatches(LogSegment segment, long position, int maxBytes, long limit, IBufferWriter<byte> destination)
    {
        var available = segment.Size - position;
        var want = (int)Math.Min(Math.Max(maxBytes, RecordBatchHeader.Size), available);
        var span = destination.GetSpan(want)[..want];
        var read = segment.Read(position, span);
        var used = 0;
        while (RecordBatchHeader.TryRead(span[used..read], out var header) && header.BaseOffset < limit)
        {
            var total = header.TotalSize;
            if (used + total > read)
            {
                if (used == 0 && total <= available)
                {
                    span = destination.GetSpan(total)[..total];
                    used = segment.Read(position, span) == total ? total : 0;
                }

                break;
            }

            used += total;
        }

        destination.Advance(used);
        return used;
    }
}
