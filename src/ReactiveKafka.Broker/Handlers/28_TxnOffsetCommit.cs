using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// TxnOffsetCommit (key 28), v0–v4: commits a consumer group's offsets inside a transaction. They stay pending
/// (invisible to OffsetFetch; UNSTABLE_OFFSET_COMMIT for <c>require_stable</c> fetches) until EndTxn commits them or
/// they vanish with an abort. As Kafka (with transaction verification): INVALID_GROUP_ID for an empty group id;
/// UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist; the transaction must be ongoing with the group
/// added by AddOffsetsToTxn (else INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH or INVALID_TXN_STATE); then the
/// group checks member and generation (v3+) as <see cref="ConsumerGroup.CommitTransactional"/>.
/// </summary>
internal sealed class TxnOffsetCommitHandler(BrokerContext broker) : RequestHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override async ValueTask<TxnOffsetCommitResponse?> HandleAsync(RequestContext context, TxnOffsetCommitRequest request)
    {
        var errors = new Dictionary<(string, int), ErrorCode>();
        var accepted = new List<OffsetCommitPartition>();
        // As Kafka: WRITE on the transactional id, READ on the group (both answered on every partition), READ on each topic.
        var refused = !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, request.TransactionalId) ? ErrorCode.TransactionalIdAuthorizationFailed
            : !broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId) ? ErrorCode.GroupAuthorizationFailed
            : ErrorCode.None;
        var error = refused != ErrorCode.None ? refused
            : request.GroupId.Length == 0 ? ErrorCode.InvalidGroupId
            : broker.Transactions.VerifyGroup(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.GroupId);
        foreach (var topic in request.Topics)
        {
            var readable = refused != ErrorCode.None || broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Topic, topic.Name);
            foreach (var partition in topic.Partitions)
            {
                if (refused != ErrorCode.None)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = refused;
                }
                else if (!readable)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = ErrorCode.TopicAuthorizationFailed;
                }
                else if (broker.Topics.GetPartition(topic.Name, partition.PartitionIndex) is null)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = ErrorCode.UnknownTopicOrPartition;
                }
                else if (error != ErrorCode.None)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = error;
                }
                else
                {
                    accepted.Add(new OffsetCommitPartition(topic.Name, partition.PartitionIndex, partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata));
                }
            }
        }

        if (accepted.Count > 0)
        {
            var input = new TxnOffsetCommitInput(request.GroupId, request.ProducerId, request.GenerationId, request.MemberId ?? "", request.GroupInstanceId, accepted);
            foreach (var result in await broker.Groups.CommitTransactionalOffsetsAsync(input, context.ConnectionClosed).ConfigureAwait(false))
            {
                errors[(result.Topic, result.Partition)] = result.Error;
            }
        }

        return new TxnOffsetCommitResponse
        {
            Topics = [.. request.Topics.Select(t => new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic
            {
                Name = t.Name,
                Partitions = [.. t.Partitions.Select(p => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)errors.GetValueOrDefault((t.Name, p.PartitionIndex)),
                })],
            })],
        };
    }
}
