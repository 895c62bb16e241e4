namespace ReactiveKafka.Broker.Storage.StateLog;

/// <summary>How a <see cref="KeyedStateLog{TRecord}"/> flushes and when it compacts.</summary>
internal sealed record StateLogOptions
{
    /// <summary>The default of <see cref="CompactionMinBytes"/>: 64 KiB.</summary>
    public const long DefaultCompactionMinBytes = 64 * 1024;

    /// <summary>
    /// When appends are forced to disk, the broker's <c>--flush</c> policy: <see cref="FlushPolicy.Durable"/> acknowledges
    /// after an fsync; <see cref="FlushPolicy.Interval"/> acknowledges after the write and fsyncs every
    /// <see cref="FlushInterval"/>; <see cref="FlushPolicy.OperatingSystem"/> leaves it to the page cache (an fsync still
    /// happens at compaction and on close).
    /// </summary>
    public FlushPolicy FlushPolicy { get; init; } = FlushPolicy.Durable;

    /// <summary>The fsync period under <see cref="FlushPolicy.Interval"/>.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Below this file size the log is never compacted.</summary>
    public long CompactionMinBytes { get; init; } = DefaultCompactionMinBytes;

    /// <summary>
    /// The share of superseded or deleted records (0–1) at which a log larger than <see cref="CompactionMinBytes"/> is
    /// rewritten with only its live records. 0.5 keeps the file under about twice its live size.
    /// </summary>
    public double CompactionMinDeadRatio { get; init; } = 0.5;

    /// <summary>
    /// From this many live records on, a compaction writes its snapshot beside the flusher (appends go on and are copied
    /// over at the swap) instead of on it; below, the rewrite is shorter than the hand-off is worth.
    /// </summary>
    public long ConcurrentCompactionMinRecords { get; init; } = 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public StateLogOptions Validate()
    {
        if (!Enum.IsDefined(FlushPolicy))
        {
            throw new ArgumentException($"{nameof(FlushPolicy)}: '{FlushPolicy}' is not a flush policy.", nameof(FlushPolicy));
        }

        if (FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(FlushInterval)}: must be positive, was {FlushInterval}.", nameof(FlushInterval));
        }

        if (CompactionMinBytes < 0)
        {
            throw new ArgumentException($"{nameof(CompactionMinBytes)}: must not be negative, was {CompactionMinBytes}.", nameof(CompactionMinBytes));
        }

        if (!(CompactionMinDeadRatio is > 0 and <= 1))
        {
            throw new ArgumentException($"{nameof(CompactionMinDeadRatio)}: must be in (0, 1], was {CompactionMinDeadRatio}.", nameof(CompactionMinDeadRatio));
        }

        if (ConcurrentCompactionMinRecords < 0)
        {
            throw new ArgumentException($"{nameof(ConcurrentCompactionMinRecords)}: must not be negative, was {ConcurrentCompactionMinRecords}.", nameof(ConcurrentCompactionMinRecords));
        }

        return this;
    }
}
