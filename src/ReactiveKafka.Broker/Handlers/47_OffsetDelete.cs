using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// OffsetDelete (key 47, KIP-496): removes committed offsets of a group, as
/// <c>DeleteConsumerGroupOffsets</c> sends it. A partition that does not exist gets
/// UNKNOWN_TOPIC_OR_PARTITION; a topic the group's consumers subscribe to GROUP_SUBSCRIBED_TO_TOPIC;
/// a group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID) is answered at the top
/// level with no topics, as Kafka does. Tombstones are fsync'd before the response.
/// </summary>
internal sealed class OffsetDeleteHandler(BrokerContext broker) : RequestHandler<OffsetDeleteRequest, OffsetDeleteResponse>(minVersion: 0, maxVersion: 0)
{
    /// <inheritdoc />
    protected override async ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request)
    {
        if (!broker.Authorizer.Allows(context, AclOperation.Delete, AclResourceType.Group, request.GroupId))
        {
            return new OffsetDeleteResponse { ErrorCode = (short)ErrorCode.GroupAuthorizationFailed };
        }

        var errors = new Dictionary<GroupTopicPartition, ErrorCode>();
        var existing = new List<GroupTopicPartition>();
        foreach (var topic in request.Topics)
        {
            var readable = broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Topic, topic.Name);
            foreach (var partition in topic.Partitions)
            {
                var key = new GroupTopicPartition(topic.Name, partition.PartitionIndex);
                if (!readable)
                {
                    errors[key] = ErrorCode.TopicAuthorizationFailed;
                }
                else if (broker.Topics.GetPartition(topic.Name, partition.PartitionIndex) is null)
                {
                    errors[key] = ErrorCode.UnknownTopicOrPartition;
                }
                else
                {
                    existing.Add(key);
                }
            }
        }

        var result = await broker.Groups.DeleteOffsetsAsync(request.GroupId, existing, context.ConnectionClosed).ConfigureAwait(false);
        if (result.Error != ErrorCode.None)
        {
            return new OffsetDeleteResponse { ErrorCode = (short)result.Error };
        }

        foreach (var partition in result.Partitions)
        {
            errors[partition.Partition] = partition.Error;
        }

        return new OffsetDeleteResponse
        {
            Topics = request.Topics.Select(t => new OffsetDeleteResponse.OffsetDeleteResponseTopic
            {
                Name = t.Name,
                Partitions = t.Partitions.Select(p => new OffsetDeleteResponse.OffsetDeleteResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)errors.GetValueOrDefault(new GroupTopicPartition(t.Name, p.PartitionIndex)),
                }).ToList(),
            }).ToList(),
        };
    }
}
