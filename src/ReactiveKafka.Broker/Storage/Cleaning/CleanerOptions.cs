namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// How the log cleaner runs (Kafka's broker-wide <c>log.cleaner.*</c> settings); the topic's own
/// <see cref="LogConfig"/> decides what it keeps. Immutable.
/// </summary>
internal sealed record CleanerOptions
{
    /// <summary>The defaults: Kafka's, for one cleaner thread.</summary>
    public static CleanerOptions Default { get; } = new();

    /// <summary>
    /// <c>log.cleaner.dedupe.buffer.size</c>: the most memory the offset map of one clean takes (default 128 MiB). A
    /// clean allocates only what its dirty section can need, up to this; a dirty section with more keys is cleaned
    /// in several rounds.
    /// </summary>
    public long DedupeBufferSize { get; init; } = 128L * 1024 * 1024;

    /// <summary><c>log.cleaner.io.buffer.load.factor</c>: the share of the offset map's slots that may fill (default 0.9).</summary>
    public double DedupeBufferLoadFactor { get; init; } = OffsetMap.DefaultLoadFactor;

    /// <summary>Bytes read from a segment per read, and written to the cleaned segment per write (default 1 MiB; larger batches get a larger buffer).</summary>
    public int IoBufferSize { get; init; } = 1024 * 1024;

    /// <summary><c>log.cleaner.io.max.bytes.per.second</c>: the cleaner's read plus write rate limit; infinity (the default) for none.</summary>
    public double MaxIoBytesPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary><c>log.cleaner.backoff.ms</c>: how long the cleaner sleeps when no log needs cleaning (default 15 s).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(15);
}
