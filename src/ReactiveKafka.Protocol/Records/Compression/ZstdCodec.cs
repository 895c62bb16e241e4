using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>Zstandard through ZstdSharp (a managed port of the reference implementation).</summary>
internal sealed class ZstdCodec : ICompressionCodec
{
    /// <summary>Level 3, zstd's and the Java client's default.</summary>
    private const int Level = 3;

    /// <inheritdoc />
    public void Compress(ReadOnlySpan<byte> source, ProtocolWriter destination)
    {
        using var compressor = new Compressor(Level);
        var span = destination.GetSpan(Compressor.GetCompressBound(source.Length));
        destination.Advance(compressor.Wrap(source, span));
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> source, int maxOutput)
    {
        // Streaming rather than one-shot: Java's zstd-jni output stream writes frames without a content
        // size, so the output has to be able to grow. The window a frame may demand is limited to what
        // the cap could need, so a tiny hostile frame cannot make the decoder allocate a huge window.
        using var zstd = new DecompressionStream(ReadOnlyMemoryStream.Create(source));
        zstd.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, WindowLogFor(maxOutput));
        var output = new BoundedOutputBuffer(source.Length, maxOutput);
        output.ReadToEnd(zstd);
        return output.Written;
    }

    private static int WindowLogFor(int maxOutput)
    {
        // The smallest power of two covering the cap, but at least 2^24: streaming compressors declare
        // their level's window (up to 8 MiB through level 19) even for small content, and such frames
        // must still decode. At most 2^27, the reference decoder's own default limit.
        var log = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(maxOutput - 1, 1));
        return Math.Clamp(log, 24, 27);
    }
}
