using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using K4os.Hash.xxHash;

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
        using var lz4 = LZ4Stream.Decode(ReadOnlyMemoryStream.Create(RepairBrokenHeaderChecksum(source)), extraMemory: 0, leaveOpen: false, interactive: false);
        var output = new BoundedOutputBuffer(source.Length, maxOutput);
        output.ReadToEnd(lz4);
        return output.Written;
    }

    /// <summary>
    /// Kafka clients before 0.10 computed the frame descriptor's checksum over the magic number too,
    /// and K4os rejects that. When the stored checksum is exactly that broken value, decode a copy with
    /// the correct one; any other mismatch is left for the decoder to reject.
    /// </summary>
    internal static ReadOnlyMemory<byte> RepairBrokenHeaderChecksum(ReadOnlyMemory<byte> source)
    {
        const uint FrameMagic = 0x184D2204;
        var span = source.Span;
        if (span.Length < 7 || System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span) != FrameMagic)
        {
            return source;
        }

        var flags = span[4];
        var checksumAt = 6 + ((flags & 0x08) != 0 ? 8 : 0) + ((flags & 0x01) != 0 ? 4 : 0);
        if (span.Length <= checksumAt)
        {
            return source;
        }

        var correct = (byte)(XXH32.DigestOf(span[4..checksumAt]) >> 8);
        var broken = (byte)(XXH32.DigestOf(span[..checksumAt]) >> 8);
        if (span[checksumAt] == correct || span[checksumAt] != broken)
        {
            return source;
        }

        var repaired = source.ToArray();
        repaired[checksumAt] = correct;
        return repaired;
    }
}
