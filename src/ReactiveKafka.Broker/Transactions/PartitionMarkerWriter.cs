using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// Writes transaction markers into the broker's own partition logs (<see cref="PartitionLog.AppendTransactionMarker"/>:
/// a COMMIT or ABORT control batch that completes the producer's transaction there, moving the last stable offset),
/// acknowledged once durable, so that CompleteCommit/CompleteAbort is never persisted before the markers it stands for.
/// </summary>
internal sealed class PartitionMarkerWriter(TopicStore topics) : ITransactionMarkerWriter
{
    /// <inheritdoc />
    public async ValueTask<ErrorCode> WriteMarkerAsync(TransactionPartition partition, long producerId, short producerEpoch, bool commit, int coordinatorEpoch, CancellationToken cancellationToken)
    {
        if (topics.GetPartition(partition.Topic, partition.Partition) is not { } log)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }

        var result = log.AppendTransactionMarker(producerId, producerEpoch, commit, coordinatorEpoch);
        if (result.Error != ErrorCode.None)
        {
            return result.Error;
        }

        await log.WaitForDurableAsync(result.LastOffset + 1, cancellationToken).ConfigureAwait(false);
        return ErrorCode.None;
    }
}
