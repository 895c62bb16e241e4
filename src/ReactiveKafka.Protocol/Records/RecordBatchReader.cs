using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// Reads the RecordBatch v2 batches concatenated in a buffer, such as a Produce request's or a Fetch
/// response's <c>records</c> field. Every length is checked against the bytes present before it is
/// used; malformed input throws <see cref="ProtocolException"/>. Records are slices of the input (or
/// of the decompressed section), so they live as long as the input buffer does.
/// </summary>
/// <example>
/// <code>
/// foreach (var batch in RecordBatchReader.ReadAll(bytes))
/// {
///     foreach (var record in batch.Records) { ... }
/// }
/// </code>
/// </example>
public sealed class RecordBatchReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly RecordBatchReaderOptions _options;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Zero or more concatenated batches.</param>
    /// <param name="options">How to read; <see cref="RecordBatchReaderOptions.Default"/> when null.</param>
    public RecordBatchReader(ReadOnlyMemory<byte> buffer, RecordBatchReaderOptions? options = null)
    {
        _buffer = buffer;
        _options = options ?? RecordBatchReaderOptions.Default;
    }

    /// <summary>The offset in the input of the next batch.</summary>
    public int Position { get; private set; }

    /// <summary>
    /// Whether reading stopped at a partial trailing batch (only with
    /// <see cref="RecordBatchReaderOptions.AllowIncompleteTrailingBatch"/>). The partial bytes start at
    /// <see cref="Position"/>.
    /// </summary>
    public bool IsIncomplete { get; private set; }

    /// <summary>Reads every batch in <paramref name="buffer"/>; throws <see cref="ProtocolException"/> on malformed input.</summary>
    public static IReadOnlyList<RecordBatch> ReadAll(ReadOnlyMemory<byte> buffer, RecordBatchReaderOptions? options = null) =>
        ReadAll(buffer, out _, options);

    /// <summary>
    /// Reads every batch in <paramref name="buffer"/>, reporting through <paramref name="incomplete"/>
    /// whether a partial trailing batch was left (possible only when the options allow it).
    /// </summary>
    public static IReadOnlyList<RecordBatch> ReadAll(ReadOnlyMemory<byte> buffer, out bool incomplete, RecordBatchReaderOptions? options = null)
    {
        var reader = new RecordBatchReader(buffer, options);
        var batches = new List<RecordBatch>();
        while (reader.TryReadNext(out var batch))
        {
            batches.Add(batch);
        }

        incomplete = reader.IsIncomplete;
        return batches;
    }

    /// <summary>
    /// Reads every batch in <paramref name="buffer"/> without throwing for malformed input: returns
    /// false and a message in <paramref name="error"/> instead.
    /// </summary>
    public static bool TryReadAll(
        ReadOnlyMemory<byte> buffer,
        out IReadOnlyList<RecordBatch> batches,
        [NotNullWhen(false)] out string? error,
        RecordBatchReaderOptions? options = null)
    {
        try
        {
            batches = ReadAll(buffer, options);
            error = null;
            return true;
        }
        catch (ProtocolException ex)
        {
            batches = [];
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Reads a buffer that must hold exactly one batch.</summary>
    public static RecordBatch ReadSingle(ReadOnlyMemory<byte> buffer, RecordBatchReaderOptions? options = null)
    {
        var reader = new RecordBatchReader(buffer, (options ?? RecordBatchReaderOptions.Default) with { AllowIncompleteTrailingBatch = false });
        if (!reader.TryReadNext(out var batch))
        {
            throw new ProtocolException("Expected one record batch but the input is empty.");
        }

        if (reader.Position != buffer.Length)
        {
            throw new ProtocolException($"Expected one record batch but {buffer.Length - reader.Position} bytes follow it.");
        }

        return batch;
    }

    /// <summary>
    /// Reads the next batch. Returns false at the end of the input or, when allowed, at a partial
    /// trailing batch (then <see cref="IsIncomplete"/> is true); throws <see cref="ProtocolException"/>
    /// when the input is malformed.
    /// </summary>
    public bool TryReadNext([NotNullWhen(true)] out RecordBatch? batch)
    {
        batch = null;
        if (IsIncomplete || Position == _buffer.Length)
        {
            return false;
        }

        var rest = _buffer.Span[Position..];
        if (rest.Length < RecordBatchHeader.LogOverhead)
        {
            return Incomplete($"{rest.Length} bytes at position {Position} are too few for a record batch's offset and length.");
        }

        var batchLength = BinaryPrimitives.ReadInt32BigEndian(rest[RecordBatchHeader.BatchLengthOffset..]);
        if (batchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead)
        {
            throw new ProtocolException($"Record batch at position {Position} has an invalid length {batchLength}.");
        }

        // A wrong magic is an error even in a partial batch: it is not a batch we could ever complete.
        if (rest.Length > RecordBatchHeader.MagicOffset && (sbyte)rest[RecordBatchHeader.MagicOffset] != RecordBatchHeader.CurrentMagic)
        {
            throw new ProtocolException(
                $"Record batch at position {Position} has magic {(sbyte)rest[RecordBatchHeader.MagicOffset]}; only magic 2 is supported.");
        }

        var total = (long)batchLength + RecordBatchHeader.LogOverhead;
        if (total > rest.Length)
        {
            return Incomplete($"Record batch at position {Position} declares {total} bytes but only {rest.Length} remain.");
        }

        var raw = _buffer.Slice(Position, (int)total);
        var error = RecordBatchHeader.Validate(raw.Span, out var header);
        if (error is not null)
        {
            throw new ProtocolException($"Record batch at position {Position}: {error}");
        }

        var records = _options.DecodeRecords
            ? RecordDecoder.Decode(header, raw[RecordBatchHeader.Size..], _options.MaxDecompressedBytes)
            : [];
        batch = new RecordBatch(header, raw, records, _options.DecodeRecords);
        Position += (int)total;
        return true;
    }

    private bool Incomplete(string message)
    {
        if (!_options.AllowIncompleteTrailingBatch)
        {
            throw new ProtocolException("Truncated record batch: " + message);
        }

        IsIncomplete = true;
        return false;
    }
}
