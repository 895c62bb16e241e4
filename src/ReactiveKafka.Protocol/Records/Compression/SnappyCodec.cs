using System.Buffers.Binary;
using Snappier;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>
/// Snappy. Reads both a single raw Snappy block (what librdkafka writes) and the xerial framing the
/// Java client writes (magic, version and compatible-version ints, then int32-length-prefixed raw
/// blocks); writes the xerial framing, which both Java and librdkafka read.
/// </summary>
internal sealed class SnappyCodec : ICompressionCodec
{
    /// <summary>The xerial stream magic: 0x82 "SNAPPY" 0.</summary>
    internal static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>Magic plus the version and compatible-version ints.</summary>
    internal const int XerialHeaderSize = 16;

    /// <summary>xerial's default block size, which the Java client uses.</summary>
    private const int XerialBlockSize = 32 * 1024;

    /// <inheritdoc />
    public void Compress(ReadOnlySpan<byte> source, ProtocolWriter destination)
    {
        destination.WriteRaw(XerialMagic);
        destination.WriteInt32(1); // version
        destination.WriteInt32(1); // minimum compatible version
        while (!source.IsEmpty)
        {
            var chunk = source[..Math.Min(source.Length, XerialBlockSize)];
            source = source[chunk.Length..];
            var lengthAt = destination.ReserveAt(4);
            var span = destination.GetSpan(Snappy.GetMaxCompressedLength(chunk.Length));
            var written = Snappy.Compress(chunk, span);
            destination.Advance(written);
            destination.PatchInt32(lengthAt, written);
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> source, int maxOutput)
    {
        var span = source.Span;
        var output = new BoundedOutputBuffer(source.Length, maxOutput);
        if (span.Length >= XerialHeaderSize && span.StartsWith(XerialMagic))
        {
            var rest = span[XerialHeaderSize..];
            while (!rest.IsEmpty)
            {
                if (rest.Length < 4)
                {
                    throw new ProtocolException($"Truncated xerial snappy chunk length: {rest.Length} bytes remain.");
                }

                var length = BinaryPrimitives.ReadInt32BigEndian(rest);
                rest = rest[4..];
                if (length < 0 || length > rest.Length)
                {
                    throw new ProtocolException($"Xerial snappy chunk length {length} is invalid with {rest.Length} bytes remaining.");
                }

                DecompressBlock(rest[..length], output);
                rest = rest[length..];
            }
        }
        else
        {
            DecompressBlock(span, output);
        }

        return output.Written;
    }

    private static void DecompressBlock(ReadOnlySpan<byte> block, BoundedOutputBuffer output)
    {
        // The block's uncompressed length is a varint preamble: check it against the cap before
        // allocating anything sized by it.
        var length = Snappy.GetUncompressedLength(block);
        output.EnsureWithinCap((long)output.Length + length);
        var target = output.Reserve(length);
        var written = Snappy.Decompress(block, target);
        if (written != length)
        {
            throw new ProtocolException($"Snappy block declared {length} bytes but decoded to {written}.");
        }
    }
}
