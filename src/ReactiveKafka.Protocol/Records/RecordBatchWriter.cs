using ReactiveKafka.Protocol.Records.Compression;

namespace ReactiveKafka.Protocol.Records;

/// <summary>Writes RecordBatch v2 batches, compressing the records section and computing the CRC.</summary>
public static class RecordBatchWriter
{
    /// <summary>
    /// Appends one batch holding <paramref name="records"/> to <paramref name="output"/>. Each record's
    /// <see cref="Record.Offset"/> is stored as a delta from <see cref="RecordBatchOptions.BaseOffset"/>,
    /// so offsets must be increasing and at most <see cref="int.MaxValue"/> past it. The base timestamp
    /// is the first record's (or <see cref="RecordBatchOptions.DeleteHorizonMs"/>), the max timestamp the largest (or
    /// <see cref="RecordBatchOptions.MaxTimestamp"/>); an empty batch gets -1 for both unless the options say otherwise.
    /// </summary>
    public static void Write(ProtocolWriter output, RecordBatchOptions options, params ReadOnlySpan<Record> records)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Compression is < CompressionType.None or > CompressionType.Zstd)
        {
            throw new ArgumentException($"Unknown compression type {(int)options.Compression}.", nameof(options));
        }

        var baseTimestamp = options.DeleteHorizonMs ?? (records.IsEmpty ? -1 : records[0].Timestamp);
        var maxTimestamp = -1L;
        var lastOffsetDelta = 0;
        for (var i = 0; i < records.Length; i++)
        {
            maxTimestamp = Math.Max(maxTimestamp, records[i].Timestamp);
            var delta = records[i].Offset - options.BaseOffset;
            if (delta < 0 || delta > int.MaxValue || (i > 0 && delta <= lastOffsetDelta))
            {
                throw new ArgumentException(
                    $"Record {i} has offset {records[i].Offset}: offsets must increase from the base offset {options.BaseOffset}.",
                    nameof(records));
            }

            lastOffsetDelta = (int)delta;
        }

        if (options.LastOffsetDelta is { } kept)
        {
            if (kept < lastOffsetDelta || kept < 0)
            {
                throw new ArgumentException(
                    $"The last offset delta {kept} is before the last record's ({lastOffsetDelta}).", nameof(options));
            }

            lastOffsetDelta = kept;
        }

        maxTimestamp = options.MaxTimestamp ?? maxTimestamp;

        var start = output.Length;
        output.ReserveAt(RecordBatchHeader.Size);
        if (options.Compression == CompressionType.None)
        {
            WriteRecords(output, options, baseTimestamp, records);
        }
        else
        {
            using var uncompressed = new ProtocolWriter(Math.Max(256, records.Length * 64));
            WriteRecords(uncompressed, options, baseTimestamp, records);
            CompressionCodecs.Get(options.Compression).Compress(uncompressed.WrittenSpan, output);
        }

        var total = output.Length - start;
        var batch = output.GetWrittenSpan(start, total);
        var header = new RecordBatchHeader(
            options.BaseOffset,
            total - RecordBatchHeader.LogOverhead,
            options.PartitionLeaderEpoch,
            RecordBatchHeader.CurrentMagic,
            Crc: 0,
            options.Attributes,
            lastOffsetDelta,
            baseTimestamp,
            maxTimestamp,
            options.ProducerId,
            options.ProducerEpoch,
            options.BaseSequence,
            records.Length);
        header.WriteTo(batch);
        RecordBatchHeader.WriteCrc(batch);
    }

    /// <summary>Writes one batch into a new array; see <see cref="Write"/>.</summary>
    public static byte[] WriteToArray(RecordBatchOptions options, params ReadOnlySpan<Record> records)
    {
        using var output = new ProtocolWriter(RecordBatchHeader.Size + (records.Length * 64));
        Write(output, options, records);
        return output.ToArray();
    }

    /// <summary>
    /// Appends a transaction marker: a transactional control batch with one control record that commits
    /// or aborts the producer's transaction.
    /// </summary>
    public static void WriteEndTransactionMarker(
        ProtocolWriter output,
        ControlRecord marker,
        long producerId,
        short producerEpoch,
        long timestamp,
        long baseOffset = 0,
        int partitionLeaderEpoch = -1)
    {
        var options = new RecordBatchOptions
        {
            BaseOffset = baseOffset,
            PartitionLeaderEpoch = partitionLeaderEpoch,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            IsTransactional = true,
            IsControl = true,
        };
        Write(output, options, marker.ToRecord(baseOffset, timestamp));
    }

    /// <summary>Builds a transaction marker batch into a new array; see <see cref="WriteEndTransactionMarker"/>.</summary>
    public static byte[] BuildEndTransactionMarker(
        ControlRecord marker,
        long producerId,
        short producerEpoch,
        long timestamp,
        long baseOffset = 0,
        int partitionLeaderEpoch = -1)
    {
        using var output = new ProtocolWriter(128);
        WriteEndTransactionMarker(output, marker, producerId, producerEpoch, timestamp, baseOffset, partitionLeaderEpoch);
        return output.ToArray();
    }

    private static void WriteRecords(ProtocolWriter output, RecordBatchOptions options, long baseTimestamp, ReadOnlySpan<Record> records)
    {
        foreach (ref readonly var record in records)
        {
            RecordEncoder.Write(output, record, (int)(record.Offset - options.BaseOffset), record.Timestamp - baseTimestamp);
        }
    }
}
