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
    /// How long EndTxn waits for the markers before answering (the outcome is decided once PrepareCommit/PrepareAbort is
    /// durable; a partition that cannot take its marker must not hold the producer forever).
    /// </summary>
    public TimeSpan CompletionWait { get; init; } = TimeSpan.FromSeconds(10);
}
