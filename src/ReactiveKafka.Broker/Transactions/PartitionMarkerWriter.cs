using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// Writes transaction markers into the broker's own partition logs: one control batch (COMMIT or ABORT, Kafka's
/// <c>EndTransactionMarker</c>) per partition, acknowledged once durable, so that CompleteCommit/CompleteAbort is never
/// persisted before the markers it stands for.
/// </summary>
internal sealed class PartitionMarkerWriter(TopicStore topics, TimeProvider time) : ITransactionMarkerWriter
{
    /// <inheritdoc />
    public async ValueTask<ErrorCode> WriteMarkerAsync(TransactionPartition partition, long producerId, short producerEpoch, bool commit, int coordinatorEpoch, CancellationToken cancellationToken)
    {
        if (topics.GetPartition(partition.Topic, partition.Partition) is not { } log)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }

        // Until the partition side's AppendTransactionMarker lands (issue 12 item 2), the marker goes in as a control batch.
        var marker = new ControlRecord(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch);
        var batch = RecordBatchWriter.BuildEndTransactionMarker(marker, producerId, producerEpoch, time.GetUtcNow().ToUnixTimeMilliseconds());
        var result = log.Append(batch, time.GetUtcNow().ToUnixTimeMilliseconds());
        if (result.Error != ErrorCode.None)
        {
            return result.Error;
        }

        await log.WaitForDurableAsync(result.LastOffset + 1, cancellationToken).ConfigureAwait(false);
        return ErrorCode.None;
    }
}
