using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// Transactional offsets: TxnOffsetCommit writes them pending under the producer id; the transaction coordinator ends
/// them (<see cref="ITransactionalOffsets"/>) with the transaction: committed offsets become visible, aborted ones
/// vanish. Both are persisted in the offsets log, so a restart keeps pending offsets pending and ended ones ended.
/// </summary>
internal sealed partial class GroupCoordinator : ITransactionalOffsets
{
    /// <summary>TxnOffsetCommit: as <see cref="ConsumerGroup.CommitTransactional"/>; creates the group if needed, as Kafka does. Completes after the write is durable.</summary>
    public async ValueTask<IReadOnlyList<OffsetCommitPartitionResult>> CommitTransactionalOffsetsAsync(TxnOffsetCommitInput input, CancellationToken cancellationToken = default)
    {
        var (errors, write) = GetOrCreate(input.GroupId).CommitTransactional(input);
        if (write is not null)
        {
            try
            {
                await write.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Committing transactional offsets of group {GroupId} failed", input.GroupId);
                return [.. input.Partitions.Select(p => new OffsetCommitPartitionResult(p.Topic, p.Partition, ErrorCode.UnknownServerError))];
            }
        }

        return [.. input.Partitions.Select((p, i) => new OffsetCommitPartitionResult(p.Topic, p.Partition, errors[i]))];
    }

    /// <inheritdoc />
    /// <remarks>
    /// Always writes the end record, even when no pending offset of the producer is durable yet: the log's order then
    /// puts it after any TxnOffsetCommit still being written, so no pending offset is left behind for ever.
    /// </remarks>
    public async Task CompleteTransactionAsync(string groupId, long producerId, bool commit, CancellationToken cancellationToken)
    {
        var write = _groups.TryGetValue(groupId, out var group)
            ? group.EndTransaction(producerId, commit)
            : Append([new OffsetLogRecord.TransactionEnd(groupId, producerId, commit)]);
        await write.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    bool IGroupHost.HasPendingTransactionalOffsets(string groupId) => _store.HasPendingTransactionalOffsets(groupId);
}
