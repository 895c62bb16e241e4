using System.Runtime.InteropServices;

namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>Wraps compressed bytes as a read-only stream for the stream-based decoders, without copying when possible.</summary>
internal static class ReadOnlyMemoryStream
{
    /// <summary>A <see cref="MemoryStream"/> over <paramref name="source"/>; copies only if it is not array-backed.</summary>
    public static MemoryStream Create(ReadOnlyMemory<byte> source) =>
        MemoryMarshal.TryGetArray(source, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(source.ToArray(), writable: false);
}
