using System.Buffers;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>Loading and recovery of a segment; see <see cref="PartitionLog.Open"/> for the passes.</summary>
internal sealed partial class LogSegment
{
    private const int ScanChunkBytes = 1 << 20;

    /// <summary>
    /// Recovery pass 2 for one segment: walks every batch from the start, re-validating the CRC of
    /// those at or after <paramref name="validateFrom"/>, rebuilds both indexes from the headers,
    /// and truncates the file at the first torn or corrupt batch. Returns null when the whole
    /// file was good, else what was wrong (the file is then already truncated).
    /// </summary>
    public string? Recover(long validateFrom)
    {
        ResetIndexes();
        return WalkAndTruncate(0, validateFrom);
    }

    /// <summary>
    /// Recovery pass 3 for a segment below the recovery point: loads the index files and checks
    /// them against the log (their last entries must name real batch starts); rebuilds both from
    /// the log when they do not match. Then walks the batches after the last index entry to learn
    /// the segment's end. Returns null, or a description of what had to be rebuilt or truncated.
    /// </summary>
    public string? LoadIndexes()
    {
        var index = OffsetIndex.Load(IndexPath, Size);
        string? rebuilt = null;
        if (index is not null && TryLoadTimeIndex(index) is { } timeIndex)
        {
            _index = index;
            _timeIndex = timeIndex;
            var last = index.Last;
            var start = last?.Position ?? 0;
            if (timeIndex.Last is { } t)
            {
                _maxTimestamp = t.Timestamp;
                _offsetOfMaxTimestamp = BaseOffset + t.RelativeOffset;
            }

            // The walk restarts at the last indexed batch, which is already in the index.
            _bytesSinceLastIndexEntry = 0;
            var problem = WalkAndTruncate(start, long.MaxValue);
            if (problem is null)
            {
                return null;
            }

            rebuilt = problem;
        }

        ResetIndexes();
        var walkProblem = WalkAndTruncate(0, long.MaxValue);
        return walkProblem ?? rebuilt ?? "index files missing or inconsistent with the log; rebuilt";
    }

    /// <summary>Whether recovery cut bytes off the end of this segment.</summary>
    public bool WasTruncated { get; private set; }

    /// <summary>Truncates the log file to <paramref name="position"/>, a batch boundary (writer only).</summary>
    public void TruncateTo(long position)
    {
        RandomAccess.SetLength(_handle, position);
        RandomAccess.FlushToDisk(_handle);
        Volatile.Write(ref _size, position);
        Volatile.Write(ref _flushedSize, position);
    }

    private TimeIndex? TryLoadTimeIndex(OffsetIndex index)
    {
        // Time index entries are written together with offset index entries, so the time index can
        // only name offsets up to the last offset index entry, and is empty when that one is.
        var last = index.Last;
        if (last is { } l && (!TryReadHeader(l.Position, out var header) ||
                              header.Magic != RecordBatchHeader.CurrentMagic ||
                              header.BaseOffset != BaseOffset + l.RelativeOffset))
        {
            return null;
        }

        var timeIndex = TimeIndex.Load(TimeIndexPath, last is { } e ? e.RelativeOffset + 1L : 0);
        return timeIndex is null || (last is null && timeIndex.Count > 0) ? null : timeIndex;
    }

    private void ResetIndexes()
    {
        _index = OffsetIndex.CreateEmpty();
        _timeIndex = TimeIndex.CreateEmpty();
        _maxTimestamp = -1;
        _offsetOfMaxTimestamp = BaseOffset;
        _bytesSinceLastIndexEntry = 0;
    }

    // Walks whole batches from `position` to the end of the file in large chunks, tracking each in
    // the indexes; CRC-checks batches at or after `validateFrom`. Stops at the first batch that is
    // torn, malformed, corrupt or out of order, and truncates the file there.
    private string? WalkAndTruncate(long position, long validateFrom)
    {
        var end = RandomAccess.GetLength(_handle);
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunkBytes);
        long bufferStart = position;
        var bufferLength = 0;
        var next = BaseOffset;
        string? problem = null;
        try
        {
            while (position < end)
            {
                var at = (int)(position - bufferStart);
                if (bufferLength - at < RecordBatchHeader.Size)
                {
                    (bufferStart, bufferLength, at) = (position, Fill(buffer, position, end), 0);
                }

                if (!RecordBatchHeader.TryRead(buffer.AsSpan(at, bufferLength - at), out var header))
                {
                    problem = $"torn batch header at position {position}";
                    break;
                }

                if (header.Magic != RecordBatchHeader.CurrentMagic ||
                    header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead ||
                    header.LastOffsetDelta < 0)
                {
                    problem = $"malformed batch header at position {position}";
                    break;
                }

                var total = header.TotalSize;
                if (position + total > end)
                {
                    problem = $"torn batch at position {position}: {total} bytes declared, {end - position} present";
                    break;
                }

                if (header.BaseOffset < next || header.LastOffset - BaseOffset > int.MaxValue)
                {
                    problem = $"batch at position {position} has offset {header.BaseOffset}, expected at least {next}";
                    break;
                }

                if (position + total > validateFrom)
                {
                    if (bufferLength - at < total)
                    {
                        if (total > buffer.Length)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = ArrayPool<byte>.Shared.Rent(total);
                        }

                        (bufferStart, bufferLength, at) = (position, Fill(buffer, position, end), 0);
                    }

                    if (RecordBatchHeader.Validate(buffer.AsSpan(at, total), out _) is { } error)
                    {
                        problem = $"corrupt batch at position {position}: {error}";
                        break;
                    }
                }

                if (RollingTimestampMs < 0)
                {
                    RollingTimestampMs = header.MaxTimestamp;
                }

                TrackBatch(position, header);
                next = header.LastOffset + 1;
                position += total;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _nextOffset = next;
        _size = position;
        _flushedSize = position;
        if (problem is not null)
        {
            WasTruncated = true;
            TruncateTo(position);
        }

        return problem;
    }

    private int Fill(byte[] buffer, long position, long end)
    {
        var length = (int)Math.Min(buffer.Length, end - position);
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(_handle, buffer.AsSpan(read, length - read), position + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }
}
