using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// OffsetCommit (key 8). Versions stop at 8: version 9 belongs to the KIP-848 consumer protocol (member epochs),
/// which the classic group coordinator does not run. Offsets are persisted (fsync'd) before the response. A partition
/// that does not exist gets UNKNOWN_TOPIC_OR_PARTITION; any offset of an existing one is accepted, also
/// beyond the log end, as Kafka does (admin tools set offsets ahead; a consumer that later fetches there
/// gets OFFSET_OUT_OF_RANGE and applies its reset policy).
/// </summary>
internal sealed class OffsetCommitHandler(BrokerContext broker) : RequestHandler<OffsetCommitRequest, OffsetCommitResponse>(minVersion: 0, maxVersion: 8)
{
    /// <inheritdoc />
    protected override async ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request)
    {
        var errors = new Dictionary<(string, int), ErrorCode>();
        var accepted = new List<OffsetCommitPartition>();
        var groupAllowed = broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId);
        foreach (var topic in request.Topics)
        {
            var topicAllowed = groupAllowed && broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Topic, topic.Name);
            foreach (var partition in topic.Partitions)
            {
                var log = broker.Topics.GetPartition(topic.Name, partition.PartitionIndex);
                if (!groupAllowed)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = ErrorCode.GroupAuthorizationFailed;
                }
                else if (!topicAllowed)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = ErrorCode.TopicAuthorizationFailed;
                }
                else if (log is null)
                {
                    errors[(topic.Name, partition.PartitionIndex)] = ErrorCode.UnknownTopicOrPartition;
                }
                else
                {
                    accepted.Add(new OffsetCommitPartition(topic.Name, partition.PartitionIndex, partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata));
                }
            }
        }

        if (accepted.Count > 0)
        {
            var input = new OffsetCommitInput(request.GroupId, request.GenerationIdOrMemberEpoch, request.MemberId, request.GroupInstanceId, accepted, request.RetentionTimeMs);
            foreach (var result in await broker.Groups.CommitOffsetsAsync(input, context.ConnectionClosed).ConfigureAwait(false))
            {
                errors[(result.Topic, result.Partition)] = result.Error;
            }
        }

        return new OffsetCommitResponse
        {
            Topics = request.Topics.Select(t => new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = t.Name,
                Partitions = t.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)errors.GetValueOrDefault((t.Name, p.PartitionIndex)),
                }).ToList(),
            }).ToList(),
        };
    }
}
