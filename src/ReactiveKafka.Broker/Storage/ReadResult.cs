using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The outcome of <see cref="PartitionLog.Read(long, int, long)"/>: whole record batches plus the
/// partition state a Fetch response reports.
/// </summary>
/// <remarks>
/// Ownership: when the read allocated its own buffer, <see cref="Records"/> lives in pooled memory
/// owned by this result; the caller must <see cref="Dispose"/> it exactly when done with the bytes
/// (copies of the struct share the buffer; disposing twice is harmless). When the caller supplied
/// an <see cref="System.Buffers.IBufferWriter{T}"/>, the bytes are in that writer and
/// <see cref="Records"/> is empty.
/// </remarks>
internal readonly struct ReadResult : IDisposable
{
    private readonly PooledBufferWriter? _buffer;

    internal ReadResult(ErrorCode error, int length, long highWatermark, long logStartOffset, long logEndOffset, PooledBufferWriter? buffer = null)
    {
        Error = error;
        Length = length;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
        _buffer = buffer;
    }

    /// <summary>None, or OFFSET_OUT_OF_RANGE, or NOT_LEADER_OR_FOLLOWER when the log is closed.</summary>
    public ErrorCode Error { get; }

    /// <summary>Bytes of record batches read.</summary>
    public int Length { get; }

    /// <summary>The high watermark when the read happened.</summary>
    public long HighWatermark { get; }

    /// <summary>The log start offset when the read happened.</summary>
    public long LogStartOffset { get; }

    /// <summary>The log end offset when the read happened.</summary>
    public long LogEndOffset { get; }

    /// <summary>The batches, when the read owns its buffer; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Records => _buffer is null ? default : _buffer.WrittenMemory;

    /// <summary>Returns the pooled buffer, if any.</summary>
    public void Dispose() => _buffer?.Dispose();
}
