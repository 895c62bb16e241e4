using System.Buffers;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over <see cref="ArrayPool{T}.Shared"/> arrays.
/// Not thread-safe. <see cref="Dispose"/> returns the array and is idempotent.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[]? _array;
    private int _written;

    /// <summary>Creates a writer with at least <paramref name="initialCapacity"/> bytes.</summary>
    public PooledBufferWriter(int initialCapacity = 4096) =>
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(1, initialCapacity));

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array is null ? default : _array.AsMemory(0, _written);

    /// <summary>The number of bytes written so far.</summary>
    public int WrittenCount => _written;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(_array is null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _array.Length - _written);
        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    /// <inheritdoc/>
    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private byte[] Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_array is null, this);
        sizeHint = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= sizeHint)
        {
            return _array;
        }

        var grown = ArrayPool<byte>.Shared.Rent(checked(_written + Math.Max(sizeHint, _array.Length)));
        _array.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_array);
        _array = grown;
        return grown;
    }
}
