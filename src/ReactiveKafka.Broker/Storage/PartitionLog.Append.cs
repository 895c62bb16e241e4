using Microsoft.Extensions.Logging;
using System.Buffers;
using System.Buffers.Binary;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>The write path: validate, assign offsets, roll, append.</summary>
internal sealed partial class PartitionLog
{
    private const short TimestampTypeAttribute = 0x08;

    /// <summary>
    /// Appends the record batches of one Produce partition. Each batch is validated (framing,
    /// magic, CRC-32C, size against <see cref="LogConfig.MaxMessageBytes"/>), copied into a pooled
    /// buffer, stamped with the append time when the topic uses LogAppendTime (which re-computes
    /// the CRC) and given consecutive offsets from the log end offset by rewriting each batch's
    /// base offset; no per-record work. Rolls the active segment first when it is full or old.
    /// </summary>
    /// <remarks>
    /// Validation and copying run before the write lock; only offset assignment, the roll check
    /// and the file write run under it. In Durable mode the records are not yet on disk when this
    /// returns: await <see cref="WaitForDurableAsync"/> with <c>LastOffset + 1</c> before
    /// acknowledging. Errors: CORRUPT_MESSAGE (framing or CRC), UNSUPPORTED_FOR_MESSAGE_FORMAT
    /// (magic &lt; 2), INVALID_RECORD (a batch without records, or a keyless record on a compacted topic), MESSAGE_TOO_LARGE (one batch over
    /// max.message.bytes), RECORD_LIST_TOO_LARGE (the whole set over segment.bytes),
    /// KAFKA_STORAGE_ERROR (I/O), NOT_LEADER_OR_FOLLOWER (the log is closed).
    /// </remarks>
    public AppendResult Append(ReadOnlyMemory<byte> records, long appendTimeMs)
    {
        var config = _config;
        var source = records.Span;
        // A compacted topic also needs a key on every record (Kafka's LogValidator.validateKey).
        if ((Validate(source, config) ?? (config.Compact ? Cleaning.KeyedRecordValidator.FindKeyless(records, Name) : null)) is { } invalid)
        {
            return invalid with { LogStartOffset = LogStartOffset };
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, source.Length));
        try
        {
            var data = buffer.AsSpan(0, source.Length);
            source.CopyTo(data);
            var logAppendTime = config.MessageTimestampType == TimestampType.LogAppendTime;
            if (logAppendTime)
            {
                StampAppendTime(data, appendTimeMs);
            }

            long baseOffset, next;
            lock (_writeLock)
            {
                if (_closed)
                {
                    return AppendResult.Failed(ErrorCode.NotLeaderOrFollower, $"{Directory} is closed.");
                }

                if (_flushFailure is not null)
                {
                    return AppendResult.Failed(ErrorCode.KafkaStorageError, $"{Directory} is offline after a failed fsync.");
                }

                baseOffset = next = _logEndOffset;
                for (var at = 0; at < data.Length;)
                {
                    BinaryPrimitives.WriteInt64BigEndian(data[at..], next);
                    next += BinaryPrimitives.ReadInt32BigEndian(data[(at + 23)..]) + 1L;
                    at += BinaryPrimitives.ReadInt32BigEndian(data[(at + RecordBatchHeader.BatchLengthOffset)..]) + RecordBatchHeader.LogOverhead;
                }

                try
                {
                    RollIfNeeded(data.Length, next - 1, appendTimeMs, config);
                    _segments[^1].Append(data, appendTimeMs);
                }
                catch (IOException e)
                {
                    // Bytes past the segment's published size are overwritten by the next append
                    // or cut by recovery, so a failed write leaves the log consistent.
                    return AppendResult.Failed(ErrorCode.KafkaStorageError, $"Write to {Directory} failed: {e.Message}", LogStartOffset);
                }

                Volatile.Write(ref _logEndOffset, next);
                if (config.FlushPolicy != FlushPolicy.Durable)
                {
                    AdvanceHighWatermark(next);
                }
            }

            if (config.FlushPolicy == FlushPolicy.Durable)
            {
                RequestFlush();
            }
            else
            {
                SignalAdvanced();
            }

            return new AppendResult(ErrorCode.None, baseOffset, next - 1, logAppendTime ? appendTimeMs : -1, LogStartOffset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static AppendResult? Validate(ReadOnlySpan<byte> records, LogConfig config)
    {
        if (records.IsEmpty)
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord, "The record set is empty.");
        }

        if (records.Length > config.SegmentBytes)
        {
            return AppendResult.Failed(ErrorCode.RecordListTooLarge,
                $"The record set of {records.Length} bytes is larger than segment.bytes ({config.SegmentBytes}).");
        }

        for (var at = 0; at < records.Length;)
        {
            var rest = records[at..];
            if (rest.Length < RecordBatchHeader.LogOverhead + 5)
            {
                return AppendResult.Failed(ErrorCode.CorruptMessage, $"Truncated record batch at byte {at}.");
            }

            var magic = (sbyte)rest[RecordBatchHeader.MagicOffset];
            if (magic != RecordBatchHeader.CurrentMagic)
            {
                return AppendResult.Failed(ErrorCode.UnsupportedForMessageFormat, $"Record batch magic {magic} is not supported (only 2).");
            }

            var total = (long)BinaryPrimitives.ReadInt32BigEndian(rest[RecordBatchHeader.BatchLengthOffset..]) + RecordBatchHeader.LogOverhead;
            if (total < RecordBatchHeader.Size || total > rest.Length)
            {
                return AppendResult.Failed(ErrorCode.CorruptMessage, $"Record batch at byte {at} declares {total} bytes; {rest.Length} remain.");
            }

            if (total > config.MaxMessageBytes)
            {
                return AppendResult.Failed(ErrorCode.MessageTooLarge,
                    $"Record batch of {total} bytes is larger than max.message.bytes ({config.MaxMessageBytes}).");
            }

            var batch = rest[..(int)total];
            if (RecordBatchHeader.Validate(batch, out var header) is { } error)
            {
                return AppendResult.Failed(ErrorCode.CorruptMessage, error);
            }

            if (header.RecordCount == 0)
            {
                return AppendResult.Failed(ErrorCode.InvalidRecord, $"Record batch at byte {at} has no records.");
            }

            at += (int)total;
        }

        return null;
    }

    // LogAppendTime: the broker's clock replaces the batch max timestamp and the timestamp type bit
    // is set. Both are covered by the CRC, so it is recomputed — once per batch, not per record.
    private static void StampAppendTime(Span<byte> data, long appendTimeMs)
    {
        for (var at = 0; at < data.Length;)
        {
            var batch = data[at..];
            var total = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..]) + RecordBatchHeader.LogOverhead;
            batch = batch[..total];
            var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]);
            BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], (short)(attributes | TimestampTypeAttribute));
            BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], appendTimeMs);
            BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..], Crc32C.Compute(batch[RecordBatchHeader.AttributesOffset..]));
            at += total;
        }
    }

    // Write lock held. Never rolls an empty segment; rolls when the append would overflow
    // segment.bytes, when the segment is older than segment.ms (or a compacted topic's smaller
    // max.compaction.lag.ms: the cleaner never touches the active segment), or when relative offsets would
    // overflow the 32-bit index entries.
    private void RollIfNeeded(int incomingBytes, long lastOffset, long nowMs, LogConfig config)
    {
        var active = _segments[^1];
        if (active.Size == 0)
        {
            return;
        }

        var full = active.Size + incomingBytes > config.SegmentBytes;
        var old = active.RollingTimestampMs >= 0 && nowMs - active.RollingTimestampMs > config.RollMs;
        var overflow = lastOffset - active.BaseOffset > int.MaxValue;
        if (!full && !old && !overflow)
        {
            return;
        }

        active.FlushIndexes(fsync: false);
        var segment = LogSegment.Create(Directory, _logEndOffset, config.IndexIntervalBytes);
        DurableFile.SyncDirectory(Directory);
        _segments = [.. _segments, segment];
        _logger.LogDebug("Rolled {Directory} at offset {Offset} ({Reason})", Directory, _logEndOffset,
            full ? "size" : old ? "age" : "offset range");

        // The old segment must reach the disk: by the group-commit flusher in Durable mode, by a
        // background fsync otherwise ("OperatingSystem" still fsyncs on roll).
        RequestFlush();
    }
}
