namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// Collects records and writes them as one batch, assigning consecutive offsets from the base offset
/// the way a producer does.
/// </summary>
/// <param name="options">The batch-level fields; <see cref="RecordBatchOptions.Default"/> when null.</param>
public sealed class RecordBatchBuilder(RecordBatchOptions? options = null)
{
    private readonly List<Record> _records = [];

    /// <summary>The batch-level fields.</summary>
    public RecordBatchOptions Options { get; } = options ?? RecordBatchOptions.Default;

    /// <summary>The number of records appended.</summary>
    public int Count => _records.Count;

    /// <summary>The offset the next <see cref="Append"/> assigns.</summary>
    public long NextOffset => _records.Count == 0 ? Options.BaseOffset : _records[^1].Offset + 1;

    /// <summary>Appends a record at <see cref="NextOffset"/>.</summary>
    public RecordBatchBuilder Append(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, IReadOnlyList<RecordHeader>? headers = null)
    {
        _records.Add(new Record(NextOffset, timestamp, key, value, headers));
        return this;
    }

    /// <summary>Appends a record keeping its own offset, which must be past the previous one (gaps are allowed, as after compaction).</summary>
    public RecordBatchBuilder AppendWithOffset(in Record record)
    {
        if (record.Offset < NextOffset)
        {
            throw new ArgumentException($"Offset {record.Offset} is before the next offset {NextOffset}.", nameof(record));
        }

        _records.Add(record);
        return this;
    }

    /// <summary>Appends the batch to <paramref name="output"/>.</summary>
    public void WriteTo(ProtocolWriter output) =>
        RecordBatchWriter.Write(output, Options, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_records));

    /// <summary>Writes the batch into a new array.</summary>
    public byte[] ToArray() =>
        RecordBatchWriter.WriteToArray(Options, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_records));
}
