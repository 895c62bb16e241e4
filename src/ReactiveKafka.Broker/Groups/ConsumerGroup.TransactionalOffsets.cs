using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The group's side of transactional offsets (TxnOffsetCommit), decided under the lock.</summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>
    /// TxnOffsetCommit (Kafka's <c>doTxnCommitOffsets</c>): COORDINATOR_NOT_AVAILABLE for a Dead group;
    /// FENCED_INSTANCE_ID for a replaced static member; UNKNOWN_MEMBER_ID for a member id the group does not have;
    /// ILLEGAL_GENERATION for a non-negative generation that is not the current one; per partition
    /// OFFSET_METADATA_TOO_LARGE. The accepted offsets are written as pending under the producer id. Returns one error
    /// per partition and the write to await, if any.
    /// </summary>
    public (ErrorCode[] Errors, Task? Write) CommitTransactional(TxnOffsetCommitInput input)
    {
        var errors = new ErrorCode[input.Partitions.Count];
        lock (_gate)
        {
            var error = State == GroupState.Dead ? ErrorCode.CoordinatorNotAvailable
                : StaticMemberId(input.GroupInstanceId) is { } bound && bound != input.MemberId ? ErrorCode.FencedInstanceId
                : input.MemberId.Length > 0 && !Has(input.MemberId) ? ErrorCode.UnknownMemberId
                : input.GenerationId >= 0 && input.GenerationId != GenerationId ? ErrorCode.IllegalGeneration
                : ErrorCode.None;
            if (error != ErrorCode.None)
            {
                Array.Fill(errors, error);
                return (errors, null);
            }

            var now = Now;
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

                records.Add(new OffsetLogRecord.TransactionalCommit(GroupId, input.ProducerId, new GroupTopicPartition(p.Topic, p.Partition), new CommittedOffset(p.Offset, p.LeaderEpoch, metadata, now)));
            }

            return (errors, _host.Append(records));
        }
    }

    /// <summary>Enqueues the end of the producer's transaction for this group, ordered against the group's other writes.</summary>
    public Task EndTransaction(long producerId, bool commit)
    {
        lock (_gate)
        {
            return _host.Append([new OffsetLogRecord.TransactionEnd(GroupId, producerId, commit)]);
        }
    }
}
