using Microsoft.Extensions.Logging;
using System.Buffers;
using System.Buffers.Binary;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>The write path: validate, assign offsets, roll, append.</summary>
internal sealed partial class PartitionLog
{
    /// <summary>
    /// Appends the record batches of one Produce partition. Each batch is validated once by the walk of
    /// <see cref="ProducedBatches"/> (framing, magic, CRC-32C, size against <see cref="LogConfig.MaxMessageBytes"/>,
    /// producer fields), checked against the producer state when it has a producer id (a retry of an appended batch
    /// returns that batch's offsets and appends nothing), copied into a pooled
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
    /// max.message.bytes), RECORD_LIST_TOO_LARGE (the whole set over segment.bytes), OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE (see <see cref="Producers.ProducerStateManager"/>),
    /// KAFKA_STORAGE_ERROR (I/O), NOT_LEADER_OR_FOLLOWER (the log is closed).
    /// </remarks>
    public AppendResult Append(ReadOnlyMemory<byte> records, long appendTimeMs)
    {
        var config = _config;
        var source = records.Span;
        // A compacted topic also needs a key on every record (Kafka's LogValidator.validateKey).
        if ((ProducedBatches.Walk(source, config, out var batches) ?? (config.Compact ? Cleaning.KeyedRecordValidator.FindKeyless(records, Name) : null)) is { } invalid)
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
                foreach (var batch in batches.Batches)
                {
                    RecordBatchHeader.SetLogAppendTime(data.Slice(batch.Position, batch.Header.TotalSize), appendTimeMs);
                }
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

                baseOffset = _logEndOffset;
                List<Producers.ProducerStateEntry>? pending = null;
                if (batches.HasProducerIds && CheckProducers(batches, baseOffset, ref pending) is { } checkedResult)
                {
                    return checkedResult; // A retry answered with its original offsets, or a producer error.
                }

                next = baseOffset;
                foreach (var batch in batches.Batches)
                {
                    RecordBatchHeader.WriteBaseOffset(data[batch.Position..], next);
                    next += batch.Header.LastOffsetDelta + 1L;
                }

                try
                {
                    RollIfNeeded(data.Length, next - 1, appendTimeMs, config);
                    _segments[^1].Append(data, batches.Batches, baseOffset, logAppendTime ? appendTimeMs : null, appendTimeMs);
                }
                catch (IOException e)
                {
                    // Bytes past the segment's published size are overwritten by the next append
                    // or cut by recovery, so a failed write leaves the log consistent.
                    return AppendResult.Failed(ErrorCode.KafkaStorageError, $"Write to {Directory} failed: {e.Message}", LogStartOffset);
                }

                _producers.Commit(pending, [], HighWatermark);
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

    /// <summary>
    /// Writes a transaction marker (a control batch of one COMMIT or ABORT record, as Kafka's <c>EndTransactionMarker</c>)
    /// for <paramref name="producerId"/> at the log end, ending the producer's transaction in this partition: the last
    /// stable offset moves past it once the marker is below the high watermark, and an ABORT is added to the aborted
    /// transaction index of the segment the marker lands in. The transaction coordinator calls this for every partition
    /// of a transaction it ends (Kafka's WriteTxnMarkers).
    /// </summary>
    /// <remarks>
    /// Returns the marker's offset as <see cref="AppendResult.BaseOffset"/>. Like <see cref="Append"/>, the marker is not yet
    /// durable in Durable mode: await <see cref="WaitForDurableAsync"/> with <c>BaseOffset + 1</c> before treating the
    /// transaction as complete. A marker for a producer without data in this partition is written too (it ends nothing).
    /// Errors: INVALID_PRODUCER_EPOCH (an epoch below the producer's in this partition), TRANSACTION_COORDINATOR_FENCED (a
    /// coordinator epoch below the last marker's), KAFKA_STORAGE_ERROR, NOT_LEADER_OR_FOLLOWER (closed).
    /// </remarks>
    public AppendResult AppendTransactionMarker(long producerId, short producerEpoch, bool commit, int coordinatorEpoch, long? timestampMs = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(producerId);
        ArgumentOutOfRangeException.ThrowIfNegative(producerEpoch);
        var now = timestampMs ?? _time.GetUtcNow().ToUnixTimeMilliseconds();
        var marker = new ControlRecord(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch);
        var options = new RecordBatchOptions
        {
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            IsTransactional = true,
            IsControl = true,
            IsLogAppendTime = _config.MessageTimestampType == TimestampType.LogAppendTime,
            MaxTimestamp = _config.MessageTimestampType == TimestampType.LogAppendTime ? now : null,
        };
        var bytes = RecordBatchWriter.WriteToArray(options, [marker.ToRecord(0, now)]);
        RecordBatchHeader.TryRead(bytes, out var header);
        long offset;
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

            offset = _logEndOffset;
            List<Producers.ProducerStateEntry>? pending = null;
            var error = _producers.ValidateMarker(ref pending, producerId, producerEpoch, coordinatorEpoch, commit, offset, now, out var completed, out var message);
            if (error != ErrorCode.None)
            {
                return AppendResult.Failed(error, message!, LogStartOffset);
            }

            RecordBatchHeader.WriteBaseOffset(bytes, offset);
            try
            {
                RollIfNeeded(bytes.Length, offset, now, _config);
                _segments[^1].Append(bytes, [new ProducedBatch(0, header)], offset, null, now);
                if (completed is { IsAborted: true } aborted)
                {
                    _segments[^1].AppendAbortedTransaction(new AbortedTxn(aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset, _producers.StableOffsetAfter(aborted)));
                }
            }
            catch (IOException e)
            {
                return AppendResult.Failed(ErrorCode.KafkaStorageError, $"Write to {Directory} failed: {e.Message}", LogStartOffset);
            }

            _producers.Commit(pending, completed is { } c ? [c] : [], HighWatermark);
            Volatile.Write(ref _logEndOffset, offset + 1);
            if (_config.FlushPolicy != FlushPolicy.Durable)
            {
                AdvanceHighWatermark(offset + 1);
            }
        }

        if (_config.FlushPolicy == FlushPolicy.Durable)
        {
            RequestFlush();
        }
        else
        {
            SignalAdvanced();
        }

        return new AppendResult(ErrorCode.None, offset, offset, options.IsLogAppendTime ? now : -1, LogStartOffset);
    }

    // Write lock held: the producer checks of every batch with a producer id, against offsets from baseOffset. Null when
    // all pass (pending then holds the updated states); else a duplicate's original offsets, or the error.
    private AppendResult? CheckProducers(ProducedBatches batches, long baseOffset, ref List<Producers.ProducerStateEntry>? pending)
    {
        var next = baseOffset;
        foreach (var batch in batches.Batches)
        {
            var header = batch.Header;
            if (header.HasProducerId)
            {
                var error = _producers.ValidateClientBatch(ref pending, header, next, out var duplicate, out var message);
                if (error != ErrorCode.None)
                {
                    return AppendResult.Failed(error, message!, LogStartOffset);
                }

                if (duplicate is { } original)
                {
                    // Kafka answers a retry of an appended batch with that batch's offsets and appends nothing.
                    return new AppendResult(ErrorCode.None, original.FirstOffset, original.LastOffset, -1, LogStartOffset);
                }
            }

            next += header.LastOffsetDelta + 1L;
        }

        return null;
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
        TakeProducerSnapshotLocked(_logEndOffset, always: false);
        _logger.LogDebug("Rolled {Directory} at offset {Offset} ({Reason})", Directory, _logEndOffset,
            full ? "size" : old ? "age" : "offset range");

        // The old segment must reach the disk: by the group-commit flusher in Durable mode, by a
        // background fsync otherwise ("OperatingSystem" still fsyncs on roll).
        RequestFlush();
    }
}
