namespace ReactiveKafka.Broker.Storage.Producers;

/// <summary>
/// Hands out producer ids for InitProducerId (idempotent and transactional producers): unique across restarts,
/// never reused, from blocks reserved on disk (Kafka's <c>ProducerIdManager</c>, which reserves blocks of 1000 from
/// the controller).
/// </summary>
/// <remarks>
/// <para>On disk: <c>&lt;data&gt;/producer-id-block.checkpoint</c>, one line <c>1 &lt;end of the reserved block&gt;</c>,
/// written with <see cref="DurableFile"/> (temp, fsync, rename) <i>before</i> any id of the block is handed out. After a
/// crash the next start continues at that end, so the ids of a block not used up are skipped, never handed out twice.
/// A missing file starts at 0; an unreadable one refuses to start (guessing could reuse ids).</para>
/// <para>Thread-safe: <see cref="Allocate"/> takes a lock; one in <see cref="BlockSize"/> calls writes the file.</para>
/// </remarks>
internal sealed class ProducerIdAllocator
{
    /// <summary>The file name, in the data directory.</summary>
    public const string FileName = "producer-id-block.checkpoint";

    /// <summary>How many ids one write of the file reserves (Kafka's block size).</summary>
    public const long BlockSize = 1000;

    private readonly Lock _lock = new();
    private readonly string _path;
    private long _next;
    private long _blockEnd;

    private ProducerIdAllocator(string path, long start)
    {
        _path = path;
        _next = start;
        _blockEnd = start;
    }

    /// <summary>The id the next <see cref="Allocate"/> returns (tests, diagnostics).</summary>
    public long Next
    {
        get
        {
            lock (_lock)
            {
                return _next;
            }
        }
    }

    /// <summary>Opens the allocator of <paramref name="dataDirectory"/>, continuing after the last reserved block.</summary>
    /// <exception cref="InvalidDataException">The file exists but cannot be read as a block end.</exception>
    public static ProducerIdAllocator Open(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var values = CheckpointFile.Read(path, 1);
        if (values is null && File.Exists(path))
        {
            throw new InvalidDataException($"{path} is not a producer id block checkpoint; refusing to guess where producer ids continue (move it away only if no producer of this broker may still be running).");
        }

        var start = values?[0] ?? 0;
        if (start < 0)
        {
            throw new InvalidDataException($"{path} holds a negative producer id block end {start}.");
        }

        return new ProducerIdAllocator(path, start);
    }

    /// <summary>A producer id never handed out before by this data directory.</summary>
    /// <exception cref="IOException">Reserving the next block on disk failed (nothing was handed out).</exception>
    /// <exception cref="InvalidOperationException">The id space is exhausted.</exception>
    public long Allocate()
    {
        lock (_lock)
        {
            if (_next == _blockEnd)
            {
                if (_blockEnd > long.MaxValue - BlockSize)
                {
                    throw new InvalidOperationException("The producer id space is exhausted.");
                }

                CheckpointFile.Write(_path, _blockEnd + BlockSize);
                _blockEnd += BlockSize;
            }

            return _next++;
        }
    }
}
