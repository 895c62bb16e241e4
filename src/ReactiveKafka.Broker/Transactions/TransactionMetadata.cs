using System.Collections.Immutable;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// What the coordinator knows (and persists) about one transactional id: Kafka's <c>TransactionMetadata</c> as an
/// immutable value. Every transition produces a new value, which is written to the transaction log and only then
/// installed (Kafka's <c>TxnTransitMetadata</c> / <c>completeTransitionTo</c>).
/// </summary>
/// <param name="TransactionalId">The producer's <c>transactional.id</c>.</param>
/// <param name="ProducerId">The producer id handed to the current producer.</param>
/// <param name="PreviousProducerId">The id before the last rotation (epoch exhaustion), or -1: a retried InitProducerId of it is recognised.</param>
/// <param name="ProducerEpoch">The current epoch; -1 before the first InitProducerId completes.</param>
/// <param name="LastProducerEpoch">The epoch before the last bump, or -1: a retried InitProducerId of it is answered without another bump (KIP-360).</param>
/// <param name="TimeoutMs">The producer's <c>transaction.timeout.ms</c>.</param>
/// <param name="State">The state.</param>
/// <param name="Partitions">The partitions of the ongoing (or completing) transaction.</param>
/// <param name="Groups">The consumer groups whose offsets the transaction commits (AddOffsetsToTxn).</param>
/// <param name="StartTimestampMs">When the transaction began (its first AddPartitionsToTxn or AddOffsetsToTxn), or -1.</param>
/// <param name="LastUpdateTimestampMs">When the metadata last changed (drives transactional id expiry).</param>
internal sealed record TransactionMetadata(
    string TransactionalId,
    long ProducerId,
    long PreviousProducerId,
    short ProducerEpoch,
    short LastProducerEpoch,
    int TimeoutMs,
    TransactionState State,
    ImmutableSortedSet<TransactionPartition> Partitions,
    ImmutableSortedSet<string> Groups,
    long StartTimestampMs,
    long LastUpdateTimestampMs)
{
    /// <summary>No producer id or epoch (Kafka's <c>RecordBatch.NO_PRODUCER_ID</c> / <c>NO_PRODUCER_EPOCH</c>).</summary>
    public const long NoProducerId = -1;

    /// <summary>No epoch yet.</summary>
    public const short NoProducerEpoch = -1;

    /// <summary>The metadata of a transactional id seen for the first time, before its first epoch is persisted.</summary>
    public static TransactionMetadata New(string transactionalId, long producerId, int timeoutMs, long nowMs) =>
        new(transactionalId, producerId, NoProducerId, NoProducerEpoch, NoProducerEpoch, timeoutMs, TransactionState.Empty,
            ImmutableSortedSet<TransactionPartition>.Empty, ImmutableSortedSet.Create<string>(StringComparer.Ordinal), -1, nowMs);

    /// <summary>
    /// Whether the epoch cannot be bumped again for this producer id: Kafka never hands out <see cref="short.MaxValue"/>, so
    /// the coordinator can always fence with one more bump.
    /// </summary>
    public bool IsEpochExhausted => IsExhausted(ProducerEpoch);

    /// <summary>Whether <paramref name="epoch"/> is the last one a producer may be given.</summary>
    public static bool IsExhausted(short epoch) => epoch >= short.MaxValue - 1;

    /// <summary>Whether the transaction writes anything that needs a marker.</summary>
    public bool HasParticipants => !Partitions.IsEmpty || !Groups.IsEmpty;
}
