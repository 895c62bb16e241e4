namespace ReactiveKafka.Broker.Transactions;

/// <summary>The transaction coordinator's settings, with Kafka's defaults.</summary>
internal sealed record TransactionCoordinatorOptions
{
    /// <summary>The largest <c>transaction.timeout.ms</c> a producer may ask for (<c>transaction.max.timeout.ms</c>). Default 15 minutes.</summary>
    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often transactions past their timeout are aborted (<c>transaction.abort.timed.out.transaction.cleanup.interval.ms</c>). Default 10 s.</summary>
    public TimeSpan AbortTimedOutInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle transactional id is kept (<c>transactional.id.expiration.ms</c>). Default 7 days.</summary>
    public TimeSpan TransactionalIdExpiration { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often expired transactional ids are removed (<c>transaction.remove.expired.transaction.cleanup.interval.ms</c>). Default 1 hour.</summary>
    public TimeSpan RemoveExpiredInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The pause before a marker or completion write that failed is tried again.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a request that finds the id's previous transaction still completing (its markers being written) or
    /// another transition of the id being persisted waits for it before answering CONCURRENT_TRANSACTIONS: the
    /// AddPartitionsToTxn/AddOffsetsToTxn that opens the next transaction, and the InitProducerId that fenced an
    /// ongoing transaction. Kafka answers CONCURRENT_TRANSACTIONS at once, and librdkafka then backs off 20 ms, far
    /// longer than the wait here (one fsync).
    /// </summary>
    public TimeSpan CompletionWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its markers are durable a CompleteCommit/CompleteAbort is persisted when the producer has not begun
    /// its next transaction by then. A next AddPartitionsToTxn/AddOffsetsToTxn (or InitProducerId) within this delay
    /// persists its own state instead, which supersedes the PrepareX in the log: one fsync per transaction fewer. Until
    /// then the log holds the PrepareX, so a restart writes the markers again (duplicate markers are harmless, as after
    /// a coordinator failover in Kafka). Default 1 s.
    /// </summary>
    public TimeSpan CompleteWriteDelay { get; init; } = TimeSpan.FromSeconds(1);
}
