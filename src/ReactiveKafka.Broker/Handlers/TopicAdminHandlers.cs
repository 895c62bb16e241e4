using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// CreateTopics (key 19), versions 0–7: partitions (-1 means the broker default), topic configs,
/// validate-only, checked in Kafka's order with its errors: the name (INVALID_TOPIC_EXCEPTION), existence
/// (TOPIC_ALREADY_EXISTS), then either a manual assignment (which needs partitions and replication factor -1,
/// partitions numbered 0..n-1, and replica lists naming only registered brokers — only this one: else
/// INVALID_REPLICA_ASSIGNMENT) or a replication factor of -1 or 1 (more is INVALID_REPLICATION_FACTOR: there is one
/// broker), then the configs (INVALID_CONFIG). From v5 the result lists every config of the topic, as DescribeConfigs.
/// </summary>
internal sealed class CreateTopicsHandler(BrokerContext broker) : RequestHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request)
    {
        var response = new CreateTopicsResponse();
        foreach (var topic in request.Topics)
        {
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name, NumPartitions = -1, ReplicationFactor = -1, ErrorMessage = null };
            response.Topics.Add(result);
            if (Check(topic, out var partitions) is { } problem)
            {
                result.ErrorCode = (short)problem.Error;
                result.ErrorMessage = problem.Message;
                continue;
            }

            var configs = topic.Configs.ToDictionary(c => c.Name, c => c.Value ?? "", StringComparer.Ordinal);
            var created = broker.Topics.CreateTopic(topic.Name, partitions, configs, request.ValidateOnly);
            result.ErrorCode = (short)created.Error;
            result.ErrorMessage = created.Message;
            if (created.Error != ErrorCode.None || created.Topic is not { } info)
            {
                continue;
            }

            result.NumPartitions = info.PartitionCount;
            result.ReplicationFactor = 1;
            result.TopicId = info.TopicId;
            var brokerConfigs = new BrokerConfigs(broker.Options, broker.Topics.DefaultConfig);
            result.Configs = [.. DescribeConfigsHandler.TopicEntries(info, brokerConfigs).Select(e => new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = e.Name,
                Value = e.Value,
                ReadOnly = false,
                ConfigSource = (sbyte)(e.Synonyms.Count > 0 ? e.Synonyms[0].Source : ConfigSource.Default),
                IsSensitive = false,
            })];
        }

        return new(response);
    }

    // ReplicationControlManager.createTopic's checks, before the store validates the configs.
    private ConfigResources.Problem? Check(CreateTopicsRequest.CreatableTopic topic, out int partitions)
    {
        partitions = topic.NumPartitions == -1 ? broker.Options.DefaultPartitions : topic.NumPartitions;
        if (Storage.TopicNames.Validate(topic.Name) is { } invalidName)
        {
            return new(ErrorCode.InvalidTopicException, invalidName);
        }

        if (topic.Configs.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            return new(ErrorCode.InvalidRequest, $"Config '{repeated.Key}' is given more than once.");
        }

        if (broker.Topics.GetTopic(topic.Name) is not null)
        {
            return new(ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists.");
        }

        if (topic.Assignments.Count > 0)
        {
            if (topic.ReplicationFactor != -1)
            {
                return new(ErrorCode.InvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1.");
            }

            if (topic.NumPartitions != -1)
            {
                return new(ErrorCode.InvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1.");
            }

            if (topic.Assignments.GroupBy(a => a.PartitionIndex).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                return ReplicaAssignments.Invalid($"Found multiple manual partition assignments for partition {twice.Key}");
            }

            if (ReplicaAssignments.Check(topic.Assignments.Select(a => (IReadOnlyList<int>)a.BrokerIds), broker.Options.NodeId, null) is { } invalid)
            {
                return invalid;
            }

            partitions = topic.Assignments.Count;
            return topic.Assignments.Select(a => a.PartitionIndex).Order().SequenceEqual(Enumerable.Range(0, partitions))
                ? null
                : ReplicaAssignments.Invalid("partitions should be a consecutive 0-based integer sequence");
        }

        if (topic.ReplicationFactor is < -1 or 0)
        {
            return new(ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.");
        }

        if (topic.NumPartitions is < -1 or 0)
        {
            return new(ErrorCode.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
        }

        return topic.ReplicationFactor > 1
            ? new(ErrorCode.InvalidReplicationFactor, $"Unable to replicate the partition {topic.ReplicationFactor} time(s): The target replication " +
                  "factor of " + topic.ReplicationFactor + " cannot be reached because only 1 broker(s) are registered.")
            : null;
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

/// <summary>
/// CreatePartitions (key 37), versions 0–3: grows a topic to a new total, with Kafka's errors: the same or a smaller
/// count is INVALID_PARTITIONS; manual assignments must be one per new partition, each naming only registered
/// brokers (only this one) with the topic's replication factor, else INVALID_REPLICA_ASSIGNMENT.
/// </summary>
internal sealed class CreatePartitionsHandler(BrokerContext broker) : RequestHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request) =>
        new(new CreatePartitionsResponse
        {
            Results = [.. request.Topics.Select(t =>
            {
                var result = new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = t.Name };
                if (Check(t) is { } problem)
                {
                    (result.ErrorCode, result.ErrorMessage) = ((short)problem.Error, problem.Message);
                }
                else
                {
                    var added = broker.Topics.AddPartitions(t.Name, t.Count, request.ValidateOnly);
                    (result.ErrorCode, result.ErrorMessage) = ((short)added.Error, added.Message);
                }

                return result;
            })],
        });

    // ReplicationControlManager.createPartitions' checks; the store checks the count again under its lock.
    private ConfigResources.Problem? Check(CreatePartitionsRequest.CreatePartitionsTopic topic)
    {
        if (broker.Topics.GetTopic(topic.Name) is not { } info)
        {
            return null; // The store answers UNKNOWN_TOPIC_OR_PARTITION.
        }

        var current = info.PartitionCount;
        if (topic.Count == current)
        {
            return new(ErrorCode.InvalidPartitions, $"Topic already has {current} partition(s).");
        }

        if (topic.Count < current)
        {
            return new(ErrorCode.InvalidPartitions, $"The topic {topic.Name} currently has {current} partition(s); {topic.Count} would not be an increase.");
        }

        if (topic.Assignments is not { } assignments)
        {
            return null;
        }

        var additional = topic.Count - current;
        return assignments.Count != additional
            ? ReplicaAssignments.Invalid($"Attempted to add {additional} additional partition(s), but only {assignments.Count} assignment(s) were specified.")
            : ReplicaAssignments.Check(assignments.Select(a => (IReadOnlyList<int>)a.BrokerIds), broker.Options.NodeId, replicationFactor: 1);
    }
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
