namespace ReactiveKafka.Broker.Storage;

/// <summary>When a partition log forces its writes to disk (fsync).</summary>
/// <remarks>
/// Maps onto Kafka's topic configs: <c>flush.messages=1</c> is <see cref="Durable"/>;
/// a finite <c>flush.ms</c> with <c>flush.messages&gt;1</c> is <see cref="Interval"/>; both at their
/// Kafka default (<see cref="long.MaxValue"/>) is <see cref="OperatingSystem"/>.
/// </remarks>
internal enum FlushPolicy
{
    /// <summary>
    /// The default: a write is acknowledged (and visible to consumers through the high watermark)
    /// only after an fsync. One background flusher per log does group commit: every append waiting
    /// when an fsync starts is covered by it, so many concurrent appends share one fsync.
    /// </summary>
    Durable = 0,

    /// <summary>fsync every <see cref="LogConfig.FlushIntervalMs"/>; acknowledgement does not wait.</summary>
    Interval = 1,

    /// <summary>Never fsync explicitly except on segment roll and close; the page cache decides.</summary>
    OperatingSystem = 2,
}
