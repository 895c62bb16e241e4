namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// One record of a RecordBatch v2, with its absolute offset and timestamp already resolved from the
/// batch's base values.
/// </summary>
/// <remarks>
/// A readonly struct rather than a class: a batch decodes into one <c>Record[]</c>, so reading N
/// records costs one array instead of N objects, and the key and value are slices of the batch's
/// (possibly decompressed) buffer rather than copies. The flip side is that a record lives only as
/// long as the caller keeps that buffer alive and unmodified. Equality is not overridden because
/// <see cref="ReadOnlyMemory{T}"/> compares by reference, which would be misleading for records.
/// </remarks>
public readonly struct Record
{
    private readonly IReadOnlyList<RecordHeader>? _headers;

    /// <summary>Creates a record.</summary>
    /// <param name="offset">The absolute offset; <see cref="RecordBatchWriter"/> stores it as a delta from the batch's base offset.</param>
    /// <param name="timestamp">The timestamp in milliseconds since the Unix epoch.</param>
    /// <param name="key">The key; null is distinct from empty.</param>
    /// <param name="value">The value; null (a tombstone) is distinct from empty.</param>
    /// <param name="headers">The headers, or null for none.</param>
    /// <param name="attributes">The record-level attributes byte (unused by Kafka so far; kept for round trips).</param>
    public Record(
        long offset,
        long timestamp,
        ReadOnlyMemory<byte>? key,
        ReadOnlyMemory<byte>? value,
        IReadOnlyList<RecordHeader>? headers = null,
        sbyte attributes = 0)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        Value = value;
        _headers = headers;
        Attributes = attributes;
    }

    /// <summary>The absolute offset of the record in its partition.</summary>
    public long Offset { get; }

    /// <summary>
    /// The timestamp in milliseconds since the Unix epoch: the create time, or the batch's max
    /// timestamp when the batch uses log-append time.
    /// </summary>
    public long Timestamp { get; }

    /// <summary>The key, or null.</summary>
    public ReadOnlyMemory<byte>? Key { get; }

    /// <summary>The value, or null (a tombstone).</summary>
    public ReadOnlyMemory<byte>? Value { get; }

    /// <summary>The headers; never null (empty when there are none).</summary>
    public IReadOnlyList<RecordHeader> Headers => _headers ?? [];

    /// <summary>The record-level attributes byte.</summary>
    public sbyte Attributes { get; }
}
