using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// CreatePartitions (key 37): grows a topic to a new total, with Kafka's errors: the same or a smaller
/// count is INVALID_PARTITIONS; manual assignments must be one per new partition, each naming only registered
/// brokers (only this one) with the topic's replication factor, else INVALID_REPLICA_ASSIGNMENT.
/// </summary>
internal sealed class CreatePartitionsHandler(BrokerContext broker) : RequestHandler<CreatePartitionsRequest, CreatePartitionsResponse>(minVersion: 0, maxVersion: 3)
{
    /// <inheritdoc />
    protected override ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request) =>
        new(new CreatePartitionsResponse
        {
            Results = [.. request.Topics.Select(t =>
            {
                var result = new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = t.Name };
                if (!broker.Authorizer.Allows(context, AclOperation.Alter, AclResourceType.Topic, t.Name))
                {
                    (result.ErrorCode, result.ErrorMessage) = ((short)ErrorCode.TopicAuthorizationFailed, "The topic authorization is failed.");
                }
                else if (Check(t) is { } problem)
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
