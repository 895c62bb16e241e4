using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// OffsetFetch (key 9), up to version 8 (9 belongs to the KIP-848 consumer protocol): one group (v0–7) or several (v8). A null topic list (v2+) asks
/// for every committed partition of the group. Partitions without a commit answer offset -1.
/// </summary>
internal sealed class OffsetFetchHandler(BrokerContext broker) : RequestHandler<OffsetFetchRequest, OffsetFetchResponse>(minVersion: 0, maxVersion: 8)
{
    /// <inheritdoc />
    protected override ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request)
    {
        var response = new OffsetFetchResponse();
        if (context.ApiVersion < 8)
        {
            var partitions = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new GroupTopicPartition(t.Name, p))).ToList();
            if (!broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Group, request.GroupId))
            {
                response.ErrorCode = (short)ErrorCode.GroupAuthorizationFailed;
                return new(response);
            }

            var result = Visible(context, broker.Groups.FetchOffsets(request.GroupId, partitions, request.RequireStable), explicitPartitions: partitions is not null);
            response.ErrorCode = (short)result.Error;
            response.Topics = result.Partitions.GroupBy(p => p.Topic).Select(g => new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = g.Key,
                Partitions = g.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = p.Partition,
                    CommittedOffset = p.Offset,
                    CommittedLeaderEpoch = p.LeaderEpoch,
                    Metadata = p.Metadata,
                    ErrorCode = (short)p.Error,
                }).ToList(),
            }).ToList();
            return new(response);
        }

        foreach (var group in request.Groups)
        {
            var partitions = group.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new GroupTopicPartition(t.Name, p))).ToList();
            if (!broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Group, group.GroupId))
            {
                response.Groups.Add(new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)ErrorCode.GroupAuthorizationFailed });
                continue;
            }

            var result = Visible(context, broker.Groups.FetchOffsets(group.GroupId, partitions, request.RequireStable), explicitPartitions: partitions is not null);
            response.Groups.Add(new OffsetFetchResponse.OffsetFetchResponseGroup
            {
                GroupId = group.GroupId,
                ErrorCode = (short)result.Error,
                Topics = result.Partitions.GroupBy(p => p.Topic).Select(g => new OffsetFetchResponse.OffsetFetchResponseTopics
                {
                    Name = g.Key,
                    Partitions = g.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartitions
                    {
                        PartitionIndex = p.Partition,
                        CommittedOffset = p.Offset,
                        CommittedLeaderEpoch = p.LeaderEpoch,
                        Metadata = p.Metadata,
                        ErrorCode = (short)p.Error,
                    }).ToList(),
                }).ToList(),
            });
        }

        return new(response);
    }

    // As Kafka: partitions of topics the principal may not DESCRIBE are dropped from an all-partitions fetch and
    // answered TOPIC_AUTHORIZATION_FAILED when asked for by name.
    private OffsetFetchResult Visible(RequestContext context, OffsetFetchResult result, bool explicitPartitions)
    {
        if (!broker.Authorizer.Enabled)
        {
            return result;
        }

        var allowed = result.Partitions.Select(p => p.Topic).Distinct()
            .ToDictionary(t => t, t => broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, t, logIfDenied: explicitPartitions));
        var partitions = explicitPartitions
            ? result.Partitions.Select(p => allowed[p.Topic] ? p : p with { Offset = -1, Metadata = "", Error = ErrorCode.TopicAuthorizationFailed }).ToList()
            : result.Partitions.Where(p => allowed[p.Topic]).ToList();
        return result with { Partitions = partitions };
    }
}
