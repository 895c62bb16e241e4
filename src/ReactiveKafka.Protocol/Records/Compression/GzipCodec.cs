using System.Buffers.Binary;
using System.IO.Compression;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>GZIP (RFC 1952) through System.IO.Compression.</summary>
internal sealed class GzipCodec : ICompressionCodec
{
    /// <summary>The gzip member trailer: CRC-32 and ISIZE, four bytes each.</summary>
    private const int TrailerSize = 8;

    /// <inheritdoc />
    public void Compress(ReadOnlySpan<byte> source, ProtocolWriter destination)
    {
        // Optimal is zlib's default level 6, what the Java client's GZIPOutputStream uses.
        using var gzip = new GZipStream(new BufferWriterStream(destination), CompressionLevel.Optimal, leaveOpen: false);
        gzip.Write(source);
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> source, int maxOutput)
    {
        using var gzip = new GZipStream(ReadOnlyMemoryStream.Create(source), CompressionMode.Decompress);
        var output = new BoundedOutputBuffer(source.Length, maxOutput);
        output.ReadToEnd(gzip);

        // GZipStream stops quietly at the end of truncated input, trailer or not. zlib checks the
        // trailer (CRC-32 and ISIZE) whenever it reaches one, so what is left is making sure it did:
        // the last four bytes must be the ISIZE of what was decoded. This assumes one gzip member,
        // which is what every Kafka client writes.
        var span = source.Span;
        if (span.Length < TrailerSize || BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]) != (uint)output.Length)
        {
            throw new ProtocolException($"Gzip data of {span.Length} bytes is truncated: its trailer does not match the {output.Length} bytes decoded.");
        }

        return output.Written;
    }
}
