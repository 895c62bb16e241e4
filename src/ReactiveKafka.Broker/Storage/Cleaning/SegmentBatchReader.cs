using System.Buffers;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// Reads the whole batches of one (inactive) segment in order, a large chunk at a time, for the cleaner. A batch larger
/// than the buffer gets a buffer of its size for as long as it is read. Headers are checked against the file (a size
/// below a header or past the segment's end is corruption: <see cref="InvalidDataException"/>); the CRC is checked by
/// whoever decodes the batch.
/// </summary>
/// <remarks>Not thread-safe; the caller holds a reader reference on the segment for the reader's lifetime. Dispose returns the buffer.</remarks>
internal sealed class SegmentBatchReader : IDisposable
{
    private readonly LogSegment _segment;
    private readonly long _end;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private long _position;

    /// <summary>Reads <paramref name="segment"/> from file position <paramref name="position"/> (a batch boundary).</summary>
    public SegmentBatchReader(LogSegment segment, long position, int bufferSize)
    {
        _segment = segment;
        _end = segment.Size;
        _position = position;
        _bufferStart = position;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(RecordBatchHeader.Size, bufferSize));
    }

    /// <summary>The file position of the next batch.</summary>
    public long Position => _position;

    /// <summary>Bytes read from the file so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// The next batch: its position, header and bytes (valid until the next call). False at the end of the segment.
    /// </summary>
    public bool TryNext(out long position, out RecordBatchHeader header, out ReadOnlyMemory<byte> batch)
    {
        position = _position;
        batch = default;
        if (_position >= _end)
        {
            header = default;
            return false;
        }

        if (!EnsureBuffered(RecordBatchHeader.Size) ||
            !RecordBatchHeader.TryRead(_buffer.AsSpan((int)(_position - _bufferStart)), out header))
        {
            throw new InvalidDataException($"Torn batch header at position {_position} of {_segment.LogPath}.");
        }

        var total = header.TotalSize;
        if (header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead || _position + total > _end)
        {
            throw new InvalidDataException($"Batch at position {_position} of {_segment.LogPath} declares {total} bytes; {_end - _position} remain.");
        }

        if (!EnsureBuffered(total))
        {
            throw new InvalidDataException($"Batch at position {_position} of {_segment.LogPath} could not be read whole.");
        }

        batch = _buffer.AsMemory((int)(_position - _bufferStart), total);
        _position += total;
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    // Makes [_position, _position + count) present in the buffer, refilling from _position (and growing for a large batch).
    private bool EnsureBuffered(int count)
    {
        if (_position + count <= _bufferStart + _bufferLength)
        {
            return true;
        }

        if (count > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(count);
        }

        _bufferStart = _position;
        _bufferLength = _segment.Read(_position, _buffer.AsSpan(0, (int)Math.Min(_buffer.Length, _end - _position)));
        BytesRead += _bufferLength;
        return _bufferLength >= count;
    }
}
