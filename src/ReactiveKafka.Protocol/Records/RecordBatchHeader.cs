using System.Buffers.Binary;

namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// The fixed 61-byte header of a RecordBatch v2 (magic 2), read without touching the records.
/// </summary>
/// <remarks>
/// On the wire: baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
/// crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
/// producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records.
/// The CRC covers attributes through the end of the batch, so baseOffset and the leader epoch can be
/// rewritten without recomputing it.
/// </remarks>
public readonly partial record struct RecordBatchHeader(
    long BaseOffset,
    int BatchLength,
    int PartitionLeaderEpoch,
    sbyte Magic,
    uint Crc,
    short Attributes,
    int LastOffsetDelta,
    long BaseTimestamp,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    /// <summary>The size of the header in bytes.</summary>
    public const int Size = 61;

    /// <summary>Bytes before <c>batchLength</c>'s count starts (baseOffset and batchLength).</summary>
    public const int LogOverhead = 12;

    /// <summary>Offset of the baseOffset field.</summary>
    public const int BaseOffsetOffset = 0;

    /// <summary>Offset of the batchLength field.</summary>
    public const int BatchLengthOffset = 8;

    /// <summary>Offset of the partitionLeaderEpoch field.</summary>
    public const int PartitionLeaderEpochOffset = 12;

    /// <summary>Offset of the magic byte.</summary>
    public const int MagicOffset = 16;

    /// <summary>Offset of the CRC field.</summary>
    public const int CrcOffset = 17;

    /// <summary>Offset of the attributes field, where the CRC's coverage starts.</summary>
    public const int AttributesOffset = 21;

    /// <summary>Offset of the maxTimestamp field.</summary>
    public const int MaxTimestampOffset = 35;

    /// <summary>The magic value of RecordBatch v2.</summary>
    public const sbyte CurrentMagic = 2;

    /// <summary>The total size of the batch on the wire, header included.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    /// <summary>The offset of the batch's last record.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The compression codec of the records.</summary>
    public CompressionType Compression => (CompressionType)(Attributes & 0x07);

    /// <summary>Whether timestamps are the broker's append time rather than the producer's create time.</summary>
    public bool IsLogAppendTime => (Attributes & 0x08) != 0;

    /// <summary>Whether the batch belongs to a transaction.</summary>
    public bool IsTransactional => (Attributes & 0x10) != 0;

    /// <summary>Whether the batch holds a control record (a transaction marker).</summary>
    public bool IsControl => (Attributes & 0x20) != 0;

    /// <summary>
    /// The delete horizon a log cleaner set (KIP-534; the base timestamp when the delete-horizon bit is set): after it,
    /// the batch's tombstones and markers may be removed. Null when not set.
    /// </summary>
    public long? DeleteHorizonMs => (Attributes & DeleteHorizonFlag) != 0 ? BaseTimestamp : null;

    /// <summary>Whether the batch was written by an idempotent or transactional producer (its producer id is set).</summary>
    public bool HasProducerId => ProducerId >= 0;

    /// <summary>
    /// Reads the header at the start of <paramref name="data"/>. Returns false when fewer than
    /// <see cref="Size"/> bytes are there; does not validate.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out RecordBatchHeader header)
    {
        if (data.Length < Size)
        {
            header = default;
            return false;
        }

        header = new RecordBatchHeader(
            BinaryPrimitives.ReadInt64BigEndian(data),
            BinaryPrimitives.ReadInt32BigEndian(data[8..]),
            BinaryPrimitives.ReadInt32BigEndian(data[12..]),
            (sbyte)data[16],
            BinaryPrimitives.ReadUInt32BigEndian(data[17..]),
            BinaryPrimitives.ReadInt16BigEndian(data[21..]),
            BinaryPrimitives.ReadInt32BigEndian(data[23..]),
            BinaryPrimitives.ReadInt64BigEndian(data[27..]),
            BinaryPrimitives.ReadInt64BigEndian(data[35..]),
            BinaryPrimitives.ReadInt64BigEndian(data[43..]),
            BinaryPrimitives.ReadInt16BigEndian(data[51..]),
            BinaryPrimitives.ReadInt32BigEndian(data[53..]),
            BinaryPrimitives.ReadInt32BigEndian(data[57..]));
        return true;
    }

    /// <summary>
    /// Validates a whole batch: magic 2, a batch length that fits <paramref name="batch"/> exactly,
    /// a sane record count and offset delta, and a CRC-32C that matches. Returns null when valid,
    /// else a message saying what is wrong.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> batch, out RecordBatchHeader header)
    {
        if (!TryRead(batch, out header))
        {
            return $"Record batch of {batch.Length} bytes is shorter than the {Size}-byte header.";
        }

        if (header.Magic != CurrentMagic)
        {
            return $"Record batch magic {header.Magic} is not supported (only magic 2).";
        }

        if (header.BatchLength < Size - LogOverhead || header.TotalSize != batch.Length)
        {
            return $"Record batch length {header.BatchLength} does not match the {batch.Length} bytes given.";
        }

        if (header.RecordCount < 0 || header.LastOffsetDelta < 0 ||
            (header.RecordCount > 0 && header.LastOffsetDelta < header.RecordCount - 1))
        {
            return $"Record batch has {header.RecordCount} records but a last offset delta of {header.LastOffsetDelta}.";
        }

        var actual = Crc32C.Compute(batch[AttributesOffset..]);
        if (actual != header.Crc)
        {
            return $"Record batch CRC mismatch: stored 0x{header.Crc:x8}, computed 0x{actual:x8}.";
        }

        return null;
    }
}
