namespace ReactiveKafka.Protocol.Records;

/// <summary>The compression codec of a record batch (attributes bits 0–2).</summary>
public enum CompressionType : byte
{
    /// <summary>Uncompressed.</summary>
    None = 0,

    /// <summary>GZIP.</summary>
    Gzip = 1,

    /// <summary>Snappy (raw block, or the xerial framing that Java clients write).</summary>
    Snappy = 2,

    /// <summary>LZ4 frame format.</summary>
    Lz4 = 3,

    /// <summary>Zstandard.</summary>
    Zstd = 4,
}
