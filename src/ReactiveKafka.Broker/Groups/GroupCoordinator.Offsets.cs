using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// OffsetCommit: members commit with their generation; a commit with generation -1 and an empty
    /// member id (a "simple" consumer or an admin tool) is accepted only while the group is Empty and
    /// creates the group if needed. Completes after the offsets are fsync'd.
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
    /// <paramref name="partitions"/> is null, every committed partition. Unknown groups have no offsets.
    /// </summary>
    public OffsetFetchResult FetchOffsets(string groupId, IReadOnlyList<GroupTopicPartition>? partitions)
    {
        if (partitions is null)
        {
            return new OffsetFetchResult(ErrorCode.None, [.. _store.GetOffsets(groupId).Select(o => Fetched(o.Key, o.Value))]);
        }

        return new OffsetFetchResult(ErrorCode.None, [.. partitions.Select(p => Fetched(p, _store.GetOffset(groupId, p)))]);
    }

    /// <summary>Removes every group's offsets of a deleted topic; completes when the tombstones are durable.</summary>
    public Task RemoveOffsetsForTopicAsync(string topic)
    {
        var writes = new List<Task>();
        foreach (var byGroup in _store.PartitionsOfTopic(topic).GroupBy(p => p.Key, p => p.Value))
        {
            var tombstones = byGroup.Select(p => (OffsetLogRecord)new OffsetLogRecord.OffsetTombstone(byGroup.Key, p)).ToList();
            if (_groups.TryGetValue(byGroup.Key, out var group))
            {
                // Under the group lock so a concurrent commit is ordered before or after, never interleaved.
                lock (group.Gate)
                {
                    writes.Add(_store.Append(tombstones));
                }
            }
            else
            {
                writes.Add(_store.Append(tombstones));
            }
        }

        return Task.WhenAll(writes);
    }

    /// <summary>
    /// The retention pass (run by a timer every <see cref="GroupCoordinatorOptions.OffsetsRetentionCheckInterval"/>):
    /// removes expired offsets — of Empty groups counted from when they became empty, of offsets-only
    /// groups from each commit — and forgets Empty groups that have no offsets left.
    /// </summary>
    internal void RemoveExpiredOffsets()
    {
        if (_disposed)
        {
            return;
        }

        var now = Now;
        foreach (var group in _groups.Values)
        {
            lock (group.Gate)
            {
                if (_disposed || group.State != GroupState.Empty)
                {
                    // Kafka also expires unsubscribed topics of Stable consumer groups; this broker keeps them.
                    continue;
                }

                var offsets = _store.GetOffsets(group.GroupId);
                var expired = offsets.Where(o => IsExpired(group, o.Value, now)).Select(o => o.Key).ToList();
                if (expired.Count > 0)
                {
                    Observe(_store.Append([.. expired.Select(p => (OffsetLogRecord)new OffsetLogRecord.OffsetTombstone(group.GroupId, p))]));
                }

                if (expired.Count == offsets.Count && group.PendingMembers.Count == 0)
                {
                    Observe(MarkDead(group));
                }
            }
        }
    }

    private bool IsExpired(ConsumerGroup group, CommittedOffset offset, DateTimeOffset now)
    {
        if (offset.ExpireTimestamp is { } expire)
        {
            return now >= expire;
        }

        var since = group.ProtocolType is null ? offset.CommitTimestamp : group.StateTimestamp;
        return now - since >= _options.OffsetsRetention;
    }

    private (ErrorCode[] Errors, Task? Write) Commit(OffsetCommitInput input)
    {
        var errors = new ErrorCode[input.Partitions.Count];
        if (!_groups.TryGetValue(input.GroupId, out var group))
        {
            if (input.GenerationId >= 0)
            {
                // A member of a generation this coordinator never saw.
                Array.Fill(errors, ErrorCode.IllegalGeneration);
                return (errors, null);
            }

            group = _groups.GetOrAdd(input.GroupId, static (id, now) => new ConsumerGroup(id, now), Now);
        }

        lock (group.Gate)
        {
            var error = ValidateOffsetCommit(group, input);
            if (error == ErrorCode.None && group.State == GroupState.CompletingRebalance)
            {
                // The member knows the new generation but has no assignment yet: let it finish the rebalance.
                error = ErrorCode.RebalanceInProgress;
            }

            if (error != ErrorCode.None)
            {
                Array.Fill(errors, error);
                return (errors, null);
            }

            if (group.Get(input.MemberId) is { } member)
            {
                ScheduleSession(group, member, TimeSpan.FromMilliseconds(member.SessionTimeoutMs));
            }

            var now = Now;
            DateTimeOffset? expire = input.RetentionTimeMs >= 0 ? now.AddMilliseconds(input.RetentionTimeMs) : null;
            var records = new List<OffsetLogRecord>(input.Partitions.Count);
            for (var i = 0; i < input.Partitions.Count; i++)
            {
                var p = input.Partitions[i];
                var metadata = p.Metadata ?? "";
                if (metadata.Length > _options.MaxOffsetMetadataLength)
                {
                    errors[i] = ErrorCode.OffsetMetadataTooLarge;
                    continue;
                }

                records.Add(new OffsetLogRecord.Commit(group.GroupId, new GroupTopicPartition(p.Topic, p.Partition), new CommittedOffset(p.Offset, p.LeaderEpoch, metadata, now, expire)));
            }

            // Enqueued under the lock: the log orders this commit against deletions and other commits.
            return (errors, _store.Append(records));
        }
    }

    private static ErrorCode ValidateOffsetCommit(ConsumerGroup group, OffsetCommitInput input)
    {
        if (group.State == GroupState.Dead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        if (input.GenerationId >= 0 || input.MemberId.Length > 0 || input.GroupInstanceId is not null)
        {
            var error = ValidateCurrentMember(group, input.MemberId, input.GroupInstanceId);
            if (error != ErrorCode.None)
            {
                return error;
            }

            return input.GenerationId == group.GenerationId ? ErrorCode.None : ErrorCode.IllegalGeneration;
        }

        // Outside group management: only while nobody is a member.
        return group.State == GroupState.Empty ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }

    private static FetchedOffset Fetched(GroupTopicPartition partition, CommittedOffset? offset) =>
        offset is null
            ? new FetchedOffset(partition.Topic, partition.Partition, -1, -1, "", ErrorCode.None)
            : new FetchedOffset(partition.Topic, partition.Partition, offset.Offset, offset.LeaderEpoch, offset.Metadata, ErrorCode.None);
}
