namespace ReactiveKafka.Protocol.Records.Compression;

/// <summary>
/// A growable output buffer for decompression that refuses to grow past a cap, so a decompression
/// bomb fails with a <see cref="ProtocolException"/> instead of exhausting memory. The result is a
/// plain array (not pooled) because decoded records keep slices of it.
/// </summary>
internal sealed class BoundedOutputBuffer
{
    private readonly int _max;
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a buffer whose first allocation is sized from the compressed length, never the cap.</summary>
    public BoundedOutputBuffer(int compressedLength, int max)
    {
        _max = max;
        // Typical record data compresses 2-10x; start there and double, so a small batch never
        // allocates the cap just because the cap is large.
        var initial = (int)Math.Min(Math.Max((long)compressedLength * 4, 256), Math.Max(max, 0));
        _buffer = new byte[initial];
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>The number of bytes written.</summary>
    public int Length => _length;

    /// <summary>
    /// Free space of at least one byte to write into, growing if needed. Returns an empty span when the
    /// cap is reached.
    /// </summary>
    public Span<byte> GetFreeSpan()
    {
        if (_length == _buffer.Length)
        {
            if (_length >= _max)
            {
                return Span<byte>.Empty;
            }

            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, _max));
        }

        return _buffer.AsSpan(_length);
    }

    /// <summary>Records that <paramref name="count"/> bytes were written into the last free span.</summary>
    public void Advance(int count) => _length += count;

    /// <summary>Reserves exactly <paramref name="count"/> bytes, checking the cap first.</summary>
    public Span<byte> Reserve(int count)
    {
        EnsureWithinCap((long)_length + count);
        if (_buffer.Length - _length < count)
        {
            Array.Resize(ref _buffer, (int)Math.Min(Math.Max((long)_buffer.Length * 2, (long)_length + count), _max));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    /// <summary>Throws when a total of <paramref name="total"/> bytes would exceed the cap.</summary>
    public void EnsureWithinCap(long total)
    {
        if (total > _max)
        {
            throw new ProtocolException($"Decompressed records exceed the limit of {_max} bytes.");
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end, failing cleanly once the cap is exceeded.</summary>
    public void ReadToEnd(Stream stream)
    {
        while (true)
        {
            var free = GetFreeSpan();
            if (free.IsEmpty)
            {
                // At the cap: one more byte means the output is too big.
                Span<byte> probe = stackalloc byte[1];
                if (stream.Read(probe) > 0)
                {
                    EnsureWithinCap((long)_max + 1);
                }

                return;
            }

            var read = stream.Read(free);
            if (read == 0)
            {
                return;
            }

            _length += read;
        }
    }
}
