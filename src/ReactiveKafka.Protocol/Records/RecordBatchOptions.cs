namespace ReactiveKafka.Protocol.Records;

/// <summary>The batch-level fields <see cref="RecordBatchWriter"/> writes; the defaults are those of a non-idempotent producer.</summary>
public sealed record RecordBatchOptions
{
    /// <summary>Options with every default.</summary>
    public static RecordBatchOptions Default { get; } = new();

    /// <summary>The offset of the first record; record offsets are stored as deltas from it. Default 0.</summary>
    public long BaseOffset { get; init; }

    /// <summary>The partition leader epoch; -1 (unknown) from producers.</summary>
    public int PartitionLeaderEpoch { get; init; } = -1;

    /// <summary>The codec for the records section.</summary>
    public CompressionType Compression { get; init; } = CompressionType.None;

    /// <summary>The producer id; -1 when not idempotent.</summary>
    public long ProducerId { get; init; } = -1;

    /// <summary>The producer epoch; -1 when not idempotent.</summary>
    public short ProducerEpoch { get; init; } = -1;

    /// <summary>The sequence number of the first record; -1 when not idempotent.</summary>
    public int BaseSequence { get; init; } = -1;

    /// <summary>Whether the batch belongs to a transaction.</summary>
    public bool IsTransactional { get; init; }

    /// <summary>Whether the batch is a control batch (transaction markers).</summary>
    public bool IsControl { get; init; }

    /// <summary>Whether timestamps are log-append time (set by the broker; then the max timestamp is the append time).</summary>
    public bool IsLogAppendTime { get; init; }

    /// <summary>
    /// The delete horizon (KIP-534), set by a log cleaner on a batch whose tombstones or markers it kept: the batch's
    /// base timestamp holds it (record timestamps stay exact: their deltas are taken from it) and the delete-horizon
    /// attribute bit is set. Null (the default) for none.
    /// </summary>
    public long? DeleteHorizonMs { get; init; }

    /// <summary>
    /// The last offset delta to write instead of the last record's: a cleaner rebuilding a batch keeps the original
    /// last offset (so the producer's last sequence survives) even when the last records were removed. Must not be
    /// below the last record's delta. Null (the default): the last record's.
    /// </summary>
    public int? LastOffsetDelta { get; init; }

    /// <summary>
    /// The max timestamp to write instead of the largest record timestamp: the append time of a log-append-time batch,
    /// or the original batch's max timestamp for an empty batch kept by a cleaner. Null (the default): computed.
    /// </summary>
    public long? MaxTimestamp { get; init; }

    /// <summary>The attributes these options produce.</summary>
    public short Attributes =>
        (short)((int)Compression
            | (IsLogAppendTime ? RecordBatchHeader.LogAppendTimeFlag : 0)
            | (IsTransactional ? RecordBatchHeader.TransactionalFlag : 0)
            | (IsControl ? RecordBatchHeader.ControlFlag : 0)
            | (DeleteHorizonMs is not null ? RecordBatchHeader.DeleteHorizonFlag : 0));
}
