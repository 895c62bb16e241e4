using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
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
            var result = broker.Groups.FetchOffsets(request.GroupId, partitions, request.RequireStable);
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
            var result = broker.Groups.FetchOffsets(group.GroupId, partitions, request.RequireStable);
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
}
