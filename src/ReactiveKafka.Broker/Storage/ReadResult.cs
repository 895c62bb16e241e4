using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The outcome of <see cref="PartitionLog.Read(long, int, long, bool)"/>: whole record batches plus the
/// partition state a Fetch response reports.
/// </summary>
/// <remarks>
/// Ownership: <see cref="Records"/> refers to a <see cref="LogRegion"/> of the log that keeps its segment open; the
/// caller must <see cref="Dispose"/> the result when done with the bytes (copies of the struct share the region;
/// disposing twice is harmless).
/// </remarks>
internal readonly struct ReadResult : IDisposable
{
    private readonly LogRegion? _region;

    internal ReadResult(ErrorCode error, long highWatermark, long logStartOffset, long logEndOffset, LogRegion? region = null, long nextOffset = -1)
    {
        NextOffset = nextOffset;
        Error = error;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
        _region = region;
    }

    /// <summary>None, or OFFSET_OUT_OF_RANGE, or NOT_LEADER_OR_FOLLOWER when the log is closed.</summary>
    public ErrorCode Error { get; }

    /// <summary>Bytes of record batches read.</summary>
    public int Length => _region?.Length ?? 0;

    /// <summary>One past the last offset of the batches read; -1 when none were.</summary>
    public long NextOffset { get; }

    /// <summary>The high watermark when the read happened.</summary>
    public long HighWatermark { get; }

    /// <summary>The log start offset when the read happened.</summary>
    public long LogStartOffset { get; }

    /// <summary>The log end offset when the read happened.</summary>
    public long LogEndOffset { get; }

    /// <summary>The batches (a <see cref="LogRegion"/>'s memory); valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Records => _region is null ? default : _region.Memory;

    /// <summary>Releases the region's segment, if any.</summary>
    public void Dispose() => ((IDisposable?)_region)?.Dispose();
}
