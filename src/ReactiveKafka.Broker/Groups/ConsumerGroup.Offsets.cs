using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The group's side of committed offsets: who may commit, delete and expire them, decided under the lock.</summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// OffsetCommit (Kafka's <c>validateOffsetCommit</c>): a commit with a negative generation to an Empty
    /// group is accepted at once whoever sends it (admin tools, consumers outside group management);
    /// otherwise the member and generation must be current, and during CompletingRebalance the member
    /// gets REBALANCE_IN_PROGRESS. Returns one error per partition and the write to await, if any.
    /// </summary>
    public (ErrorCode[] Errors, Task? Write) Commit(OffsetCommitInput input)
    {
        var errors = new ErrorCode[input.Partitions.Count];
        lock (_gate)
        {
            var error = ValidateOffsetCommit(input);
            if (error != ErrorCode.None)
            {
                Array.Fill(errors, error);
                return (errors, null);
            }

            if (State is GroupState.Stable or GroupState.PreparingRebalance && Get(input.MemberId) is { } member)
            {
                ScheduleSession(member);
            }

            var now = Now;
            DateTimeOffset? expire = input.RetentionTimeMs >= 0 ? now.AddMilliseconds(input.RetentionTimeMs) : null;
            var records = new List<OffsetLogRecord>(input.Partitions.Count);
            for (var i = 0; i < input.Partitions.Count; i++)
            {
                var p = input.Partitions[i];
                var metadata = p.Metadata ?? "";
                if (metadata.Length > Options.MaxOffsetMetadataLength)
                {
                    errors[i] = ErrorCode.OffsetMetadataTooLarge;
                    continue;
                }

                records.Add(new OffsetLogRecord.Commit(GroupId, new GroupTopicPartition(p.Topic, p.Partition), new CommittedOffset(p.Offset, p.LeaderEpoch, metadata, now, expire)));
            }

            // Enqueued under the lock: the log orders this commit against deletions and other commits.
            return (errors, _host.Append(records));
        }
    }

    /// <summary>
    /// OffsetDelete (Kafka's <c>deleteOffsets</c>): GROUP_ID_NOT_FOUND for a Dead group; NON_EMPTY_GROUP
    /// while a group of another protocol type than <c>consumer</c> has members; per partition
    /// GROUP_SUBSCRIBED_TO_TOPIC for topics its consumers subscribe to, else NONE, with a tombstone for
    /// each partition that has an offset. Returns the write to await, if any.
    /// </summary>
    public (ErrorCode Error, IReadOnlyList<OffsetDeletePartitionResult> Partitions, Task? Write) DeleteOffsets(IReadOnlyList<GroupTopicPartition> partitions)
    {
        lock (_gate)
        {
            var error = State switch
            {
                GroupState.Dead => ErrorCode.GroupIdNotFound,
                GroupState.Empty => ErrorCode.None,
                _ => ProtocolType == ConsumerProtocolType ? ErrorCode.None : ErrorCode.NonEmptyGroup,
            };
            if (error != ErrorCode.None)
            {
                return (error, [], null);
            }

            var committed = _host.GetOffsets(GroupId).Select(o => o.Key).ToHashSet();
            var results = new List<OffsetDeletePartitionResult>(partitions.Count);
            var tombstones = new List<OffsetLogRecord>();
            foreach (var partition in partitions)
            {
                if (IsSubscribedToTopic(partition.Topic))
                {
                    results.Add(new OffsetDeletePartitionResult(partition, ErrorCode.GroupSubscribedToTopic));
                    continue;
                }

                results.Add(new OffsetDeletePartitionResult(partition, ErrorCode.None));
                if (committed.Contains(partition))
                {
                    tombstones.Add(new OffsetLogRecord.OffsetTombstone(GroupId, partition));
                }
            }

            return (ErrorCode.None, results, _host.Append(tombstones));
        }
    }

    /// <summary>Enqueues tombstones for offsets removed from outside (a deleted topic), ordered against this group's commits.</summary>
    public Task RemoveOffsets(IReadOnlyList<GroupTopicPartition> partitions)
    {
        lock (_gate)
        {
            return _host.Append([.. partitions.Select(p => (OffsetLogRecord)new OffsetLogRecord.OffsetTombstone(GroupId, p))]);
        }
    }

    /// <summary>
    /// The retention pass for this group: removes expired offsets of an Empty group — counted from when
    /// it became empty, or for offsets-only groups from each commit, unless the commit set its own
    /// expiry — and moves an Empty group without offsets or pending members to Dead.
    /// </summary>
    public void ExpireOffsets()
    {
        lock (_gate)
        {
            if (State != GroupState.Empty)
            {
                // Kafka also expires unsubscribed topics of Stable consumer groups; this broker keeps them.
                return;
            }

            var now = Now;
            var offsets = _host.GetOffsets(GroupId);
            var expired = offsets.Where(o => IsExpired(o.Value, now)).Select(o => o.Key).ToList();
            if (expired.Count > 0)
            {
                _host.AppendInBackground([.. expired.Select(p => (OffsetLogRecord)new OffsetLogRecord.OffsetTombstone(GroupId, p))]);
            }

            if (expired.Count == offsets.Count && _pendingMembers.Count == 0 && !_host.HasPendingTransactionalOffsets(GroupId))
            {
                _host.AppendInBackground([MarkDead()]);
            }
        }
    }

    private bool IsExpired(CommittedOffset offset, DateTimeOffset now)
    {
        if (offset.ExpireTimestamp is { } expire)
        {
            return now >= expire;
        }

        var since = ProtocolType is null ? offset.CommitTimestamp : StateTimestamp;
        return now - since >= Options.OffsetsRetention;
    }

    /// <summary>Kafka's <c>isSubscribedToTopic</c>: unknown subscriptions count as subscribed for consumer groups.</summary>
    private bool IsSubscribedToTopic(string topic) =>
        _subscribedTopics?.Contains(topic) ?? ProtocolType == ConsumerProtocolType;

    private ErrorCode ValidateOffsetCommit(OffsetCommitInput input)
    {
        if (State == GroupState.Dead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        if (input.GenerationId < 0 && State == GroupState.Empty)
        {
            return ErrorCode.None;
        }

        if (input.GenerationId >= 0 || input.MemberId.Length > 0 || input.GroupInstanceId is not null)
        {
            var error = ValidateMember(input.MemberId, input.GroupInstanceId);
            if (error != ErrorCode.None)
            {
                return error;
            }

            if (input.GenerationId != GenerationId)
            {
                return ErrorCode.IllegalGeneration;
            }
        }
        else if (State != GroupState.Empty)
        {
            // Outside group management: only while nobody is a member.
            return ErrorCode.UnknownMemberId;
        }

        // The member knows the new generation but has no assignment yet: let it finish the rebalance.
        return State == GroupState.CompletingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
    }
}
