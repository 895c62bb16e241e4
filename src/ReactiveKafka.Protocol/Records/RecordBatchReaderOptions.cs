namespace ReactiveKafka.Protocol.Records;

/// <summary>How <see cref="RecordBatchReader"/> treats its input.</summary>
public sealed record RecordBatchReaderOptions
{
    /// <summary>The default cap on one batch's decompressed records section: 64 MiB.</summary>
    public const int DefaultMaxDecompressedBytes = 64 * 1024 * 1024;

    /// <summary>Strict options: decode records, no partial trailing batch, the default cap.</summary>
    public static RecordBatchReaderOptions Default { get; } = new();

    /// <summary>
    /// Options for a Fetch response's records, where the broker may cut the last batch short: a
    /// partial trailing batch ends the read and is reported as incomplete instead of failing.
    /// </summary>
    public static RecordBatchReaderOptions Fetch { get; } = new() { AllowIncompleteTrailingBatch = true };

    /// <summary>
    /// The most bytes one batch's records section may decompress to; more fails with a
    /// <see cref="ProtocolException"/>, which is what stops a decompression bomb.
    /// </summary>
    public int MaxDecompressedBytes { get; init; } = DefaultMaxDecompressedBytes;

    /// <summary>
    /// Whether a batch that runs past the end of the input ends the read as "incomplete" (Fetch
    /// responses) rather than failing (Produce requests). Invalid bytes are an error either way.
    /// </summary>
    public bool AllowIncompleteTrailingBatch { get; init; }

    /// <summary>
    /// Whether to decompress and decode the records. When false only the header, the length and the
    /// CRC are checked, which is all a broker needs to index and store a batch.
    /// </summary>
    public bool DecodeRecords { get; init; } = true;
}
