using System.IO.Pipelines;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Whole record batches of one segment, by file position: what a fetch serves. The segment stays open (a reader
/// reference) until the region is disposed, so retention cannot delete it while a response still refers to it.
/// </summary>
/// <remarks>
/// A fetch response carries the region as its records (<see cref="ExternalBytes"/>); the connection's writer copies
/// it from the file into the socket's pipe in <see cref="ChunkSize"/> pieces. The broker thus never holds a fetch
/// response's records in a buffer of their own: memory per fetch is one chunk, whatever the fetch size (a 16 MiB
/// fetch used to take a 16 MiB read buffer and a 16 MiB response buffer, both cached afterwards by the array pool of
/// whichever thread ran it).
/// </remarks>
internal sealed class LogRegion : ExternalBytes
{
    /// <summary>Bytes read from the file per pipe write: a few socket buffers' worth, small against any heap.</summary>
    internal const int ChunkSize = 128 * 1024;

    private readonly LogSegment _segment;
    private readonly long _position;
    private readonly int _length;
    private int _released;

    /// <summary>Takes over a reader reference of <paramref name="segment"/> (released by <see cref="Dispose(bool)"/>).</summary>
    public LogRegion(LogSegment segment, long position, int length)
    {
        _segment = segment;
        _position = position;
        _length = length;
    }

    /// <inheritdoc />
    public override int Length => _length;

    /// <inheritdoc />
    public override async ValueTask<bool> CopyToAsync(PipeWriter destination, CancellationToken cancellationToken)
    {
        for (var done = 0; done < _length;)
        {
            done += CopyChunk(destination, done);
            if ((await destination.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    protected override void Load(Span<byte> destination)
    {
        if (_segment.Read(_position, destination[.._length]) != _length)
        {
            throw ShorterThanRead();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _segment.Release();
        }
    }

    private int CopyChunk(PipeWriter destination, int done)
    {
        var want = Math.Min(ChunkSize, _length - done);
        var span = destination.GetSpan(want)[..want];
        if (_segment.Read(_position + done, span) != want)
        {
            throw ShorterThanRead();
        }

        destination.Advance(want);
        return want;
    }

    // Segments only grow while the broker runs; a region beyond the file's end means the file was changed under us.
    private IOException ShorterThanRead() =>
        new($"Log segment {_segment.LogPath} is shorter than the {_length} bytes at position {_position} that a fetch read from it.");
}
