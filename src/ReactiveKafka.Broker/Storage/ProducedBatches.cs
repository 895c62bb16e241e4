using System.Buffers.Binary;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>One batch of a produced record set: where it starts in the set and its header (base offset as the client sent it).</summary>
/// <param name="Position">The byte position of the batch in the record set.</param>
/// <param name="Header">The batch header.</param>
internal readonly record struct ProducedBatch(int Position, RecordBatchHeader Header);

/// <summary>
/// The one validation walk over the record set of a Produce partition: every batch header is read and checked once
/// (framing, magic 2, CRC-32C, size against <c>max.message.bytes</c>, a record count, the producer fields), and the
/// result carries what the rest of the append needs: each batch's position and header (offset assignment, the
/// log-append-time stamp, the segment's indexes, the producer state checks) and the set's offset count.
/// </summary>
/// <remarks>Immutable once built; built before the partition's write lock is taken.</remarks>
internal sealed class ProducedBatches
{
    private ProducedBatches(ProducedBatch[] batches, long offsetCount, bool hasProducerIds)
    {
        Batches = batches;
        OffsetCount = offsetCount;
        HasProducerIds = hasProducerIds;
    }

    /// <summary>The batches in order.</summary>
    public IReadOnlyList<ProducedBatch> Batches { get; }

    /// <summary>How many offsets the set takes: the sum over its batches of last offset delta + 1.</summary>
    public long OffsetCount { get; }

    /// <summary>Whether any batch carries a producer id (idempotent or transactional).</summary>
    public bool HasProducerIds { get; }

    /// <summary>
    /// Walks <paramref name="records"/>. Returns null and the batches when every batch is valid, else the failed append:
    /// INVALID_RECORD (an empty set, a batch without records, a control batch, a producer id without a sequence or a
    /// transactional batch without a producer id), RECORD_LIST_TOO_LARGE (over <c>segment.bytes</c>),
    /// CORRUPT_MESSAGE (framing, CRC), UNSUPPORTED_FOR_MESSAGE_FORMAT (magic other than 2), MESSAGE_TOO_LARGE (a batch
    /// over <c>max.message.bytes</c>).
    /// </summary>
    public static AppendResult? Walk(ReadOnlySpan<byte> records, LogConfig config, out ProducedBatches batches)
    {
        batches = null!;
        if (records.IsEmpty)
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord, "The record set is empty.");
        }

        if (records.Length > config.SegmentBytes)
        {
            return AppendResult.Failed(ErrorCode.RecordListTooLarge,
                $"The record set of {records.Length} bytes is larger than segment.bytes ({config.SegmentBytes}).");
        }

        // Producers send one batch per partition; more are allowed (and walked) but rare.
        var found = new List<ProducedBatch>(1);
        long offsets = 0;
        var producerIds = false;
        for (var at = 0; at < records.Length;)
        {
            var rest = records[at..];
            if (rest.Length < RecordBatchHeader.MagicOffset + 1)
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

            if (RecordBatchHeader.Validate(rest[..(int)total], out var header) is { } error)
            {
                return AppendResult.Failed(ErrorCode.CorruptMessage, error);
            }

            if (ValidateProducerFields(header, at) is { } invalid)
            {
                return invalid;
            }

            found.Add(new ProducedBatch(at, header));
            offsets += header.LastOffsetDelta + 1L;
            producerIds |= header.HasProducerId;
            at += (int)total;
        }

        batches = new ProducedBatches([.. found], offsets, producerIds);
        return null;
    }

    // Kafka's LogValidator.validateBatch for client batches: records, no control batches, sequence with producer id.
    private static AppendResult? ValidateProducerFields(in RecordBatchHeader header, int at)
    {
        if (header.RecordCount == 0)
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord, $"Record batch at byte {at} has no records.");
        }

        if (header.IsControl)
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord, $"Record batch at byte {at} is a control batch; clients are not allowed to write control records.");
        }

        if (header.HasProducerId && (header.BaseSequence < 0 || header.ProducerEpoch < 0))
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord,
                $"Invalid sequence number {header.BaseSequence} or epoch {header.ProducerEpoch} in record batch with producerId {header.ProducerId}.");
        }

        if (header.IsTransactional && !header.HasProducerId)
        {
            return AppendResult.Failed(ErrorCode.InvalidRecord, $"Transactional record batch at byte {at} has no producer id.");
        }

        return null;
    }
}
