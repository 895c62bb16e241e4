using System.Buffers;
using System.IO.Pipelines;

namespace ReactiveKafka.Protocol;

/// <summary>
/// Bytes a message refers to without holding them in memory (a region of a log file): passed wherever a message field
/// takes <see cref="ReadOnlyMemory{T}"/> of bytes (its <see cref="MemoryManager{T}.Memory"/>), and written straight to
/// the transport by <see cref="CopyToAsync"/> when a <see cref="ProtocolWriter"/> defers them
/// (<see cref="ProtocolWriter.DeferExternalBytes"/>). A large fetch response then costs no buffer of its size and no
/// copies but the one into the transport.
/// </summary>
/// <remarks>
/// <see cref="GetSpan"/> loads the bytes into an array on first use, for any reader that does need them in memory
/// (tests, a writer that does not defer); the transport path never calls it.
/// </remarks>
public abstract class ExternalBytes : MemoryManager<byte>
{
    private byte[]? _loaded;

    /// <summary>How many bytes.</summary>
    public abstract int Length { get; }

    /// <summary>Writes the bytes to <paramref name="destination"/>, flushing as it goes so no more than a chunk is buffered.</summary>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="cancellationToken">Stops the copy.</param>
    /// <returns>False when the reader of <paramref name="destination"/> completed (the connection is gone).</returns>
    public abstract ValueTask<bool> CopyToAsync(PipeWriter destination, CancellationToken cancellationToken);

    /// <summary>Reads all the bytes into <paramref name="destination"/> (exactly <see cref="Length"/> long).</summary>
    /// <param name="destination">The span to fill.</param>
    protected abstract void Load(Span<byte> destination);

    /// <summary>The bytes as memory, without loading them (the base class would call <see cref="GetSpan"/> for the length).</summary>
    public override Memory<byte> Memory => CreateMemory(Length);

    /// <inheritdoc />
    public override Span<byte> GetSpan()
    {
        if (_loaded is null)
        {
            var bytes = new byte[Length];
            Load(bytes);
            _loaded = bytes;
        }

        return _loaded;
    }

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0) =>
        throw new NotSupportedException("ExternalBytes cannot be pinned: write them with CopyToAsync.");

    /// <inheritdoc />
    public override void Unpin()
    {
    }
}
