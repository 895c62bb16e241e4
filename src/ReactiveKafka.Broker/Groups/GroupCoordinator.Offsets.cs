using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>Committed offsets: commit, fetch, delete, removal with a topic, retention.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// OffsetCommit: members commit with their generation; a commit with a negative generation (a
    /// "simple" consumer or an admin tool) is accepted while the group is Empty and creates the group if
    /// needed. Completes after the offsets are fsync'd.
    /// </summary>
    public async ValueTask<IReadOnlyList<OffsetCommitPartitionResult>> CommitOffsetsAsync(OffsetCommitInput input, CancellationToken cancellationToken = default)
    {
        var (errors, write) = Commit(input);
        if (write is not null)
        {
            try
            {
                await write.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Committing offsets of group {GroupId} failed", input.GroupId);
                return [.. input.Partitions.Select(p => new OffsetCommitPartitionResult(p.Topic, p.Partition, ErrorCode.UnknownServerError))];
            }
        }

        return [.. input.Partitions.Select((p, i) => new OffsetCommitPartitionResult(p.Topic, p.Partition, errors[i]))];
    }

    /// <summary>
    /// OffsetFetch for one group: the given partitions (-1 for those without a commit) or, when
    /// <paramref name="partitions"/> is null, every committed partition. Unknown groups have no offsets. Offsets of open
    /// transactions are invisible; with <paramref name="requireStable"/> (v7+, read_committed consumers) a partition
    /// that has one answers UNSTABLE_OFFSET_COMMIT instead, and the client retries until the transaction ends.
    /// </summary>
    public OffsetFetchResult FetchOffsets(string groupId, IReadOnlyList<GroupTopicPartition>? partitions, bool requireStable = false)
    {
        if (partitions is null)
        {
            return new OffsetFetchResult(ErrorCode.None, [.. _store.GetOffsets(groupId).Select(o => Stable(groupId, o.Key, o.Value, requireStable))]);
        }

        return new OffsetFetchResult(ErrorCode.None, [.. partitions.Select(p => Stable(groupId, p, _store.GetOffset(groupId, p), requireStable))]);
    }

    private FetchedOffset Stable(string groupId, GroupTopicPartition partition, CommittedOffset? offset, bool requireStable) =>
        requireStable && _store.HasPendingTransactionalOffsets(groupId, partition)
            ? new FetchedOffset(partition.Topic, partition.Partition, -1, -1, "", ErrorCode.UnstableOffsetCommit)
            : Fetched(partition, offset);

    /// <summary>
    /// OffsetDelete (KIP-496): INVALID_GROUP_ID for an empty id, GROUP_ID_NOT_FOUND for an unknown group,
    /// otherwise as <see cref="ConsumerGroup.DeleteOffsets"/> decides. Completes when the tombstones are durable.
    /// </summary>
    public async ValueTask<OffsetDeleteResult> DeleteOffsetsAsync(string groupId, IReadOnlyList<GroupTopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        if (groupId.Length == 0)
        {
            return new OffsetDeleteResult(ErrorCode.InvalidGroupId, []);
        }

        if (!_groups.TryGetValue(groupId, out var group))
        {
            return new OffsetDeleteResult(ErrorCode.GroupIdNotFound, []);
        }

        var (error, results, write) = group.DeleteOffsets(partitions);
        if (write is not null)
        {
            try
            {
                await write.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Deleting offsets of group {GroupId} failed", groupId);
                return new OffsetDeleteResult(ErrorCode.UnknownServerError, []);
            }
        }

        return new OffsetDeleteResult(error, results);
    }

    /// <summary>Removes every group's offsets of a deleted topic; completes when the tombstones are durable.</summary>
    public Task RemoveOffsetsForTopicAsync(string topic)
    {
        var writes = new List<Task>();
        foreach (var byGroup in _store.PartitionsOfTopic(topic).GroupBy(p => p.Key, p => p.Value))
        {
            writes.Add(_groups.TryGetValue(byGroup.Key, out var group)
                ? group.RemoveOffsets([.. byGroup])
                : Append([.. byGroup.Select(p => (OffsetLogRecord)new OffsetLogRecord.OffsetTombstone(byGroup.Key, p))]));
        }

        return Task.WhenAll(writes);
    }

    /// <summary>
    /// The retention pass (run by a timer every <see cref="GroupCoordinatorOptions.OffsetsRetentionCheckInterval"/>):
    /// removes expired offsets of Empty groups and forgets Empty groups that have no offsets left.
    /// </summary>
    internal void RemoveExpiredOffsets()
    {
        foreach (var group in _groups.Values)
        {
            if (_disposed)
            {
                return;
            }

            group.ExpireOffsets();
        }
    }

    private (ErrorCode[] Errors, Task? Write) Commit(OffsetCommitInput input)
    {
        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            if (input.GenerationId >= 0)
            {
                // A member of a generation this coordinator never saw (Kafka answers ILLEGAL_GENERATION below v9).
                var errors = new ErrorCode[input.Partitions.Count];
                Array.Fill(errors, ErrorCode.IllegalGeneration);
                return (errors, null);
            }

            group = GetOrCreate(input.GroupId);
        }

        return group.Commit(input);
    }

    private static FetchedOffset Fetched(GroupTopicPartition partition, CommittedOffset? offset) =>
        offset is null
            ? new FetchedOffset(partition.Topic, partition.Partition, -1, -1, "", ErrorCode.None)
            : new FetchedOffset(partition.Topic, partition.Partition, offset.Offset, offset.LeaderEpoch, offset.Metadata, ErrorCode.None);
}
