using System.IO.Compression;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>GZIP (RFC 1952) through System.IO.Compression.</summary>
internal sealed class GzipCodec : ICompressionCodec
{
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
        return output.Written;
    }
}
