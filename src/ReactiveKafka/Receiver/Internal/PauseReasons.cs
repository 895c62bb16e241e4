namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Why the consumer loop pauses partitions. The whole-assignment reasons are kept as this set; the user's reason is a
/// set of partitions (<see cref="ConsumerLoop{TKey, TValue}"/>). The paused partitions are recomputed from both after
/// every poll and every rebalance, so a rebalance never resumes a partition that should stay paused, and a reason
/// that ends always resumes what only it paused.
/// </summary>
[Flags]
internal enum PauseReasons
{
    None = 0,

    /// <summary>The buffer, the unacknowledged window or the deferred acknowledgements reached their bound.</summary>
    Backpressure = 1,

    /// <summary>A failed commit waits for its retry (or an at-most-once batch for its commit).</summary>
    CommitRetry = 2,
}
