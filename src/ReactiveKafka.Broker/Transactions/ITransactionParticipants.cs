using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>Writes transaction markers to the partitions of a transaction (Kafka's <c>TransactionMarkerChannelManager</c> on one node).</summary>
internal interface ITransactionMarkerWriter
{
    /// <summary>
    /// Appends a COMMIT or ABORT control batch for the producer to <paramref name="partition"/> and completes once it is
    /// durable. Returns NONE; UNKNOWN_TOPIC_OR_PARTITION when the partition no longer exists (the marker is then not
    /// needed); any other code is retried by the coordinator.
    /// </summary>
    ValueTask<ErrorCode> WriteMarkerAsync(TransactionPartition partition, long producerId, short producerEpoch, bool commit, int coordinatorEpoch, CancellationToken cancellationToken);
}

/// <summary>The group coordinator's side of a transaction: pending transactional offsets become committed or vanish.</summary>
internal interface ITransactionalOffsets
{
    /// <summary>
    /// Commits (or drops) the producer's pending offsets of <paramref name="groupId"/> and completes once that is durable.
    /// A group without pending offsets of the producer completes at once.
    /// </summary>
    Task CompleteTransactionAsync(string groupId, long producerId, bool commit, CancellationToken cancellationToken);
}
