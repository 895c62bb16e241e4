using System.Buffers.Binary;

namespace ReactiveKafka.Protocol.Records;

/// <summary>In-place edits of a batch's header, as the broker makes when it appends a batch to a log.</summary>
public readonly partial record struct RecordBatchHeader
{
    /// <summary>Offset of the lastOffsetDelta field.</summary>
    public const int LastOffsetDeltaOffset = 23;

    /// <summary>Offset of the baseTimestamp field.</summary>
    public const int BaseTimestampOffset = 27;

    /// <summary>Offset of the recordCount field.</summary>
    public const int RecordCountOffset = 57;

    /// <summary>The timestamp-type bit of the attributes: set for log-append time.</summary>
    public const short LogAppendTimeFlag = 0x08;

    /// <summary>The transactional bit of the attributes.</summary>
    public const short TransactionalFlag = 0x10;

    /// <summary>The control bit of the attributes.</summary>
    public const short ControlFlag = 0x20;

    /// <summary>The delete-horizon bit of the attributes (KIP-534): the base timestamp holds the delete horizon.</summary>
    public const short DeleteHorizonFlag = 0x40;

    /// <summary>Writes all 61 header bytes into the start of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        EnsureHeader(destination);
        BinaryPrimitives.WriteInt64BigEndian(destination, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(destination[BatchLengthOffset..], BatchLength);
        BinaryPrimitives.WriteInt32BigEndian(destination[PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        destination[MagicOffset] = (byte)Magic;
        BinaryPrimitives.WriteUInt32BigEndian(destination[CrcOffset..], Crc);
        BinaryPrimitives.WriteInt16BigEndian(destination[AttributesOffset..], Attributes);
        BinaryPrimitives.WriteInt32BigEndian(destination[LastOffsetDeltaOffset..], LastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(destination[BaseTimestampOffset..], BaseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(destination[MaxTimestampOffset..], MaxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(destination[43..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(destination[51..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(destination[53..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(destination[RecordCountOffset..], RecordCount);
    }

    /// <summary>
    /// Overwrites the base offset of the batch at the start of <paramref name="batch"/>. The CRC does not
    /// cover it, so the batch stays valid; record offsets are deltas and move with it.
    /// </summary>
    public static void WriteBaseOffset(Span<byte> batch, long baseOffset)
    {
        EnsureHeader(batch);
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);
    }

    /// <summary>Overwrites the partition leader epoch; like the base offset, it is outside the CRC.</summary>
    public static void WritePartitionLeaderEpoch(Span<byte> batch, int partitionLeaderEpoch)
    {
        EnsureHeader(batch);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], partitionLeaderEpoch);
    }

    /// <summary>
    /// Switches the whole batch in <paramref name="batch"/> to log-append time: sets the timestamp-type
    /// bit and the max timestamp to <paramref name="appendTime"/>, then recomputes the CRC, which covers
    /// both. Readers then report <paramref name="appendTime"/> for every record.
    /// </summary>
    public static void SetLogAppendTime(Span<byte> batch, long appendTime)
    {
        EnsureHeader(batch);
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], (short)(attributes | LogAppendTimeFlag));
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], appendTime);
        WriteCrc(batch);
    }

    /// <summary>Computes the CRC-32C of a whole batch: from the attributes to its end.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch)
    {
        EnsureHeader(batch);
        return Crc32C.Compute(batch[AttributesOffset..]);
    }

    /// <summary>Recomputes and stores the CRC of the whole batch in <paramref name="batch"/>.</summary>
    public static void WriteCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], ComputeCrc(batch));

    private static void EnsureHeader(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < Size)
        {
            throw new ArgumentException($"A record batch needs at least {Size} bytes; got {batch.Length}.", nameof(batch));
        }
    }
}
