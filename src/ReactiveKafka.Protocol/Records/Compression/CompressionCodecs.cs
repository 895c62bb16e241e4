namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>Maps a <see cref="CompressionType"/> to its codec and wraps codec failures.</summary>
internal static class CompressionCodecs
{
    private static readonly ICompressionCodec Gzip = new GzipCodec();
    private static readonly ICompressionCodec Snappy = new SnappyCodec();
    private static readonly ICompressionCodec Lz4 = new Lz4Codec();
    private static readonly ICompressionCodec Zstd = new ZstdCodec();

    /// <summary>The codec for <paramref name="type"/>; <see cref="CompressionType.None"/> has none.</summary>
    public static ICompressionCodec Get(CompressionType type) => type switch
    {
        CompressionType.Gzip => Gzip,
        CompressionType.Snappy => Snappy,
        CompressionType.Lz4 => Lz4,
        CompressionType.Zstd => Zstd,
        _ => throw new ProtocolException($"Unknown compression type {(int)type}."),
    };

    /// <summary>
    /// Decompresses with the codec for <paramref name="type"/>. The libraries throw whatever they like on
    /// corrupt input (InvalidDataException, ArgumentException, even IndexOutOfRangeException); all of it
    /// is hostile-input failure, so it becomes a <see cref="ProtocolException"/> here, in one place.
    /// </summary>
    public static ReadOnlyMemory<byte> Decompress(CompressionType type, ReadOnlyMemory<byte> source, int maxOutput)
    {
        var codec = Get(type);
        try
        {
            return codec.Decompress(source, maxOutput);
        }
        catch (Exception ex) when (ex is not ProtocolException and not OutOfMemoryException)
        {
            throw new ProtocolException($"Corrupt {type} data in record batch: {ex.Message}", ex);
        }
    }
}
