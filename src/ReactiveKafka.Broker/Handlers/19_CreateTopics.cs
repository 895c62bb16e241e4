using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// CreateTopics (key 19): partitions (-1 means the broker default), topic configs,
/// validate-only, checked in Kafka's order with its errors: the name (INVALID_TOPIC_EXCEPTION), existence
/// (TOPIC_ALREADY_EXISTS), then either a manual assignment (which needs partitions and replication factor -1,
/// partitions numbered 0..n-1, and replica lists naming only registered brokers — only this one: else
/// INVALID_REPLICA_ASSIGNMENT) or a replication factor of -1 or 1 (more is INVALID_REPLICATION_FACTOR: there is one
/// broker), then the configs (INVALID_CONFIG). From v5 the result lists every config of the topic, as DescribeConfigs.
/// </summary>
internal sealed class CreateTopicsHandler(BrokerContext broker) : RequestHandler<CreateTopicsRequest, CreateTopicsResponse>(minVersion: 0, maxVersion: 7)
{
    /// <inheritdoc />
    protected override ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request)
    {
        var response = new CreateTopicsResponse();
        foreach (var topic in request.Topics)
        {
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name, NumPartitions = -1, ReplicationFactor = -1, ErrorMessage = null };
            response.Topics.Add(result);
            if (!broker.Authorizer.AllowsCluster(context, AclOperation.Create, logIfDenied: false)
                && !broker.Authorizer.Allows(context, AclOperation.Create, AclResourceType.Topic, topic.Name))
            {
                result.ErrorCode = (short)ErrorCode.TopicAuthorizationFailed;
                result.ErrorMessage = "Authorization failed.";
                continue;
            }

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
