using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>The answer to a transactional InitProducerId.</summary>
/// <param name="Error">NONE or the Kafka error.</param>
/// <param name="ProducerId">The producer id, or -1 on error.</param>
/// <param name="ProducerEpoch">The epoch, or -1 on error.</param>
internal readonly record struct InitProducerIdResult(ErrorCode Error, long ProducerId, short ProducerEpoch)
{
    /// <summary>An error answer (producer id and epoch -1, as Kafka's <c>initTransactionError</c>).</summary>
    public static InitProducerIdResult Failed(ErrorCode error) => new(error, TransactionMetadata.NoProducerId, TransactionMetadata.NoProducerEpoch);
}
