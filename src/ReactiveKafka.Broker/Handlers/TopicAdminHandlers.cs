using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// CreateTopics (key 19), versions 0–7: partitions (-1 means the broker default), topic configs,
/// validate-only. A replication factor other than -1 or 1 is INVALID_REPLICATION_FACTOR: there is one
/// broker. Manual replica assignments may only name this broker.
/// </summary>
internal sealed class CreateTopicsHandler(BrokerContext broker) : RequestHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request)
    {
        var response = new CreateTopicsResponse();
        foreach (var topic in request.Topics)
        {
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name, NumPartitions = -1, ReplicationFactor = -1 };
            response.Topics.Add(result);
            var partitions = topic.Assignments.Count > 0 ? topic.Assignments.Count : topic.NumPartitions == -1 ? broker.Options.DefaultPartitions : topic.NumPartitions;
            if (topic.ReplicationFactor is not (-1 or 1) || topic.Assignments.Any(a => a.BrokerIds.Any(id => id != broker.Options.NodeId)))
            {
                result.ErrorCode = (short)ErrorCode.InvalidReplicationFactor;
                result.ErrorMessage = $"Replication factor {topic.ReplicationFactor} is larger than the 1 available broker.";
                continue;
            }

            if (topic.Configs.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequest;
                result.ErrorMessage = $"Config '{repeated.Key}' is given more than once.";
                continue;
            }

            var configs = topic.Configs.ToDictionary(c => c.Name, c => c.Value ?? "", StringComparer.Ordinal);
            var created = broker.Topics.CreateTopic(topic.Name, partitions, configs, request.ValidateOnly);
            result.ErrorCode = (short)created.Error;
            result.ErrorMessage = created.Message;
            if (created.Error != ErrorCode.None)
            {
                continue;
            }

            result.NumPartitions = partitions;
            result.ReplicationFactor = 1;
            if (broker.Topics.GetTopic(topic.Name) is { } info)
            {
                result.TopicId = info.TopicId;
                result.Configs = info.Configs.Select(c => new CreateTopicsResponse.CreatableTopicConfigs
                {
                    Name = c.Key,
                    Value = c.Value,
                    ConfigSource = (sbyte)ConfigSource.DynamicTopic,
                }).ToList();
            }
        }

        return new(response);
    }
}

/// <summary>DeleteTopics (key 20), versions 0–6 (by name, or by topic id from v6). Committed offsets of the topic are removed too.</summary>
internal sealed class DeleteTopicsHandler(BrokerContext broker) : RequestHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    /// <inheritdoc />
    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request)
    {
        var response = new DeleteTopicsResponse();
        var targets = context.ApiVersion < 6
            ? request.TopicNames.Select(n => (Name: (string?)n, Id: Guid.Empty)).ToList()
            : request.Topics.Select(t => (t.Name, Id: t.TopicId)).ToList();
        foreach (var (requestedName, id) in targets)
        {
            var name = requestedName ?? broker.Topics.GetTopic(id)?.Name;
            var result = new DeleteTopicsResponse.DeletableTopicResult { Name = name, TopicId = id };
            response.Responses.Add(result);
            if (name is null)
            {
                result.ErrorCode = (short)ErrorCode.UnknownTopicId;
                continue;
            }

            var deleted = await broker.Topics.DeleteTopicAsync(name).ConfigureAwait(false);
            result.ErrorCode = (short)deleted.Error;
            result.ErrorMessage = deleted.Message;
            if (deleted.Error == ErrorCode.None)
            {
                await broker.Groups.RemoveOffsetsForTopicAsync(name).ConfigureAwait(false);
            }
        }

        return response;
    }
}

/// <summary>CreatePartitions (key 37), versions 0–3: grows a topic to a new total; shrinking is INVALID_PARTITIONS.</summary>
internal sealed class CreatePartitionsHandler(BrokerContext broker) : RequestHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request) =>
        new(new CreatePartitionsResponse
        {
            Results = request.Topics.Select(t =>
            {
                var result = broker.Topics.AddPartitions(t.Name, t.Count, request.ValidateOnly);
                return new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = t.Name, ErrorCode = (short)result.Error, ErrorMessage = result.Message };
            }).ToList(),
        });
}

/// <summary>
/// DeleteRecords (key 21), versions 0–2: moves a partition's log start offset forward (-1 means the high
/// watermark) and deletes the segments wholly below it.
/// </summary>
internal sealed class DeleteRecordsHandler(BrokerContext broker) : RequestHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request) =>
        new(new DeleteRecordsResponse
        {
            Topics = request.Topics.Select(t => new DeleteRecordsResponse.DeleteRecordsTopicResult
            {
                Name = t.Name,
                Partitions = t.Partitions.Select(p =>
                {
                    var log = broker.Topics.GetPartition(t.Name, p.PartitionIndex);
                    if (log is null)
                    {
                        return new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition };
                    }

                    var offset = p.Offset == -1 ? log.HighWatermark : p.Offset;
                    var error = offset < 0 || offset > log.HighWatermark ? ErrorCode.OffsetOutOfRange : log.DeleteRecordsBefore(offset).Error;
                    return new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = log.LogStartOffset, ErrorCode = (short)error };
                }).ToList(),
            }).ToList(),
        });
}

/// <summary>
/// OffsetForLeaderEpoch (key 23), versions 0–4. There is one leader epoch, 0, for the life of a partition,
/// so the end offset of epoch 0 (or any later epoch asked about) is the log end offset.
/// </summary>
internal sealed class OffsetForLeaderEpochHandler(BrokerContext broker) : RequestHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    /// <inheritdoc />
    protected override ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request) =>
        new(new OffsetForLeaderEpochResponse
        {
            Topics = request.Topics.Select(t => new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult
            {
                Topic = t.Topic,
                Partitions = t.Partitions.Select(p =>
                {
                    var log = broker.Topics.GetPartition(t.Topic, p.Partition);
                    return log is null
                        ? new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition }
                        : p.CurrentLeaderEpoch > 0
                            ? new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, ErrorCode = (short)ErrorCode.UnknownLeaderEpoch }
                            : new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, LeaderEpoch = 0, EndOffset = log.LogEndOffset };
                }).ToList(),
            }).ToList(),
        });
}
