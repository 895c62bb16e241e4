namespace ReactiveKafka.Protocol.Records;

/// <summary>A decoded RecordBatch v2: its header, its wire bytes and its records.</summary>
public sealed class RecordBatch
{
    private readonly Record[] _records;

    internal RecordBatch(RecordBatchHeader header, ReadOnlyMemory<byte> rawBytes, Record[] records, bool recordsDecoded)
    {
        Header = header;
        RawBytes = rawBytes;
        _records = records;
        RecordsDecoded = recordsDecoded;
    }

    /// <summary>The batch header.</summary>
    public RecordBatchHeader Header { get; }

    /// <summary>The whole batch as it was on the wire (a slice of the input), header included.</summary>
    public ReadOnlyMemory<byte> RawBytes { get; }

    /// <summary>
    /// The records, with absolute offsets and timestamps. Empty when the reader was told not to decode
    /// records (see <see cref="RecordsDecoded"/>).
    /// </summary>
    public IReadOnlyList<Record> Records => _records;

    /// <summary>Whether <see cref="Records"/> was decoded, as opposed to skipped by <see cref="RecordBatchReaderOptions.DecodeRecords"/>.</summary>
    public bool RecordsDecoded { get; }

    /// <summary>The offset of the first record.</summary>
    public long BaseOffset => Header.BaseOffset;

    /// <summary>The offset of the last record.</summary>
    public long LastOffset => Header.LastOffset;

    /// <summary>Whether this is a control batch (a transaction marker).</summary>
    public bool IsControl => Header.IsControl;

    /// <summary>Whether the batch belongs to a transaction.</summary>
    public bool IsTransactional => Header.IsTransactional;

    /// <summary>The compression codec of the records section.</summary>
    public CompressionType Compression => Header.Compression;

    /// <summary>
    /// Reads the transaction marker of a control batch. Returns false when this is not a control batch,
    /// its records were not decoded, or its control record is not an abort or commit marker; throws
    /// <see cref="ProtocolException"/> when the marker is malformed.
    /// </summary>
    public bool TryGetEndTransactionMarker(out ControlRecord marker)
    {
        marker = default;
        if (!IsControl || _records.Length == 0)
        {
            return false;
        }

        var key = _records[0].Key ?? throw new ProtocolException($"Control batch at offset {BaseOffset} has a record with a null key.");
        var type = ControlRecord.ReadType(key.Span);
        if (type is not (ControlRecordType.Abort or ControlRecordType.Commit))
        {
            return false;
        }

        marker = ControlRecord.Parse(_records[0]);
        return true;
    }
}
