using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>
/// LZ4 frame format (not raw blocks) through K4os.Compression.LZ4.Streams. Writes what the Java
/// client's KafkaLZ4BlockOutputStream writes: independent 64 KiB blocks, no block checksums.
/// </summary>
internal sealed class Lz4Codec : ICompressionCodec
{
    private static readonly LZ4EncoderSettings EncoderSettings = new()
    {
        // The Java client's reader does not support dependent (chained) blocks.
        ChainBlocks = false,
        BlockSize = 64 * 1024,
        ContentChecksum = false,
        BlockChecksum = false,
        CompressionLevel = LZ4Level.L00_FAST,
    };

    /// <inheritdoc />
    public void Compress(ReadOnlySpan<byte> source, ProtocolWriter destination) =>
        LZ4Frame.Encode(source, destination, EncoderSettings);

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> source, int maxOutput)
    {
        using var lz4 = LZ4Stream.Decode(ReadOnlyMemoryStream.Create(source), extraMemory: 0, leaveOpen: false, interactive: false);
        var output = new BoundedOutputBuffer(source.Length, maxOutput);
        output.ReadToEnd(lz4);
        return output.Written;
    }
}
