namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>One compression codec of the records section of a batch.</summary>
internal interface ICompressionCodec
{
    /// <summary>Appends the compressed form of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    void Compress(ReadOnlySpan<byte> source, ProtocolWriter destination);

    /// <summary>
    /// Decompresses <paramref name="source"/>. Throws <see cref="ProtocolException"/> when the input is
    /// corrupt or would decompress to more than <paramref name="maxOutput"/> bytes.
    /// </summary>
    ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> source, int maxOutput);
}
