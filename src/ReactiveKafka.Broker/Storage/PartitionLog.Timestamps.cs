using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>A record found by a ListOffsets timestamp lookup: its offset and its own timestamp.</summary>
internal readonly record struct TimestampAndOffset(long Timestamp, long Offset);

/// <summary>
/// ListOffsets by timestamp at record granularity, as Kafka's <c>UnifiedLog.fetchOffsetByTimestamp</c>: the
/// time and offset indexes find the first batch whose max timestamp reaches the target, and that batch's records
/// are decoded (decompressed if need be) to find the record. Lock-free, like the rest of the read path.
/// </summary>
internal sealed partial class PartitionLog
{
    /// <summary>
    /// The first record (in offset order) whose timestamp is &gt;= <paramref name="timestampMs"/>, at or after the log
    /// start offset and below the high watermark, with that record's timestamp; null when there is none. Throws
    /// <see cref="ProtocolException"/> when a stored batch cannot be decoded (the broker answers CORRUPT_MESSAGE).
    /// </summary>
    public TimestampAndOffset? FindByTimestamp(long timestampMs)
    {
        while (!_closed)
        {
            var replaced = false;
            foreach (var segment in _segments)
            {
                if (segment.MaxTimestamp < timestampMs)
                {
                    continue;
                }

                if (!segment.TryAcquire())
                {
                    // Deleted or replaced by a cleaned segment meanwhile: skipping it could answer a later offset.
                    replaced = true;
                    break;
                }

                long? batchBase;
                try
                {
                    batchBase = segment.FindOffsetByTimestamp(timestampMs);
                }
                finally
                {
                    segment.Release();
                }

                if (batchBase is { } found)
                {
                    return FirstRecordAtOrAfter(timestampMs, found);
                }
            }

            if (!replaced)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// ListOffsets' MAX_TIMESTAMP (-3, KIP-734): the first record carrying the largest timestamp in the log, below the
    /// high watermark; null when the log is empty. As in Kafka, the segment with the largest timestamp is found from
    /// the segments' maxima, the batch from its indexes, and the record by decoding that batch.
    /// </summary>
    public TimestampAndOffset? FindMaxTimestamp()
    {
        LogSegment? latest = null;
        foreach (var segment in _segments)
        {
            if (segment.MaxTimestamp >= 0 && (latest is null || segment.MaxTimestamp > latest.MaxTimestamp))
            {
                latest = segment;
            }
        }

        if (latest is null || !latest.TryAcquire())
        {
            // Empty, or the segment was deleted or replaced by a cleaned one meanwhile: look again.
            return latest is null || _closed ? null : FindMaxTimestamp();
        }

        long? batchBase;
        try
        {
            batchBase = latest.FindOffsetByTimestamp(latest.MaxTimestamp);
        }
        finally
        {
            latest.Release();
        }

        return batchBase is { } found ? FirstRecordAtOrAfter(latest.MaxTimestamp, found) : null;
    }

    // Reads batch by batch from the one holding fromOffset (through Read, which skips what recovery marked damaged and
    // keeps the segment open while its bytes are in use) until a record reaches the timestamp. One batch is in memory
    // at a time: at most max.message.bytes, or what its decompression limit allows.
    private TimestampAndOffset? FirstRecordAtOrAfter(long timestampMs, long fromOffset)
    {
        var highWatermark = HighWatermark;
        var offset = Math.Max(fromOffset, LogStartOffset);
        while (offset < highWatermark)
        {
            using var read = Read(offset, maxBytes: 1, highWatermark, minOneBatch: true);
            if (read.Error != ErrorCode.None || read.Length == 0)
            {
                return null;
            }

            var batch = RecordBatchReader.ReadSingle(read.Records);
            if (batch.Header.MaxTimestamp >= timestampMs)
            {
                foreach (var record in batch.Records)
                {
                    if (record.Offset >= offset && record.Timestamp >= timestampMs)
                    {
                        return record.Offset < highWatermark ? new TimestampAndOffset(record.Timestamp, record.Offset) : null;
                    }
                }
            }

            offset = Math.Max(offset, batch.LastOffset + 1);
        }

        return null;
    }
}
