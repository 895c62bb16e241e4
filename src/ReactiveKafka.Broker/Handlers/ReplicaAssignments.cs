using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// Manual replica assignments (CreateTopics, CreatePartitions) checked as Kafka's controller checks them
/// (<c>ReplicationControlManager.validateManualPartitionAssignment</c>), with its errors and messages. The only
/// registered broker is this one, so every assignment must be exactly <c>[node id]</c>. Stateless.
/// </summary>
internal static class ReplicaAssignments
{
    /// <summary>
    /// Null when every replica list is valid: non-empty, naming only this broker, each broker once, all of
    /// <paramref name="replicationFactor"/> replicas (or of the first list's size when null).
    /// </summary>
    public static ConfigResources.Problem? Check(IEnumerable<IReadOnlyList<int>> assignments, int nodeId, int? replicationFactor)
    {
        foreach (var replicas in assignments)
        {
            if (replicas.Count == 0)
            {
                return Invalid("The manual partition assignment includes an empty replica list.");
            }

            int? previous = null;
            foreach (var id in replicas.Order())
            {
                if (id != nodeId)
                {
                    return Invalid($"The manual partition assignment includes broker {id}, but no such broker is registered.");
                }

                if (id == previous)
                {
                    return Invalid($"The manual partition assignment includes the broker {id} more than once.");
                }

                previous = id;
            }

            if (replicationFactor is { } expected && replicas.Count != expected)
            {
                return Invalid($"The manual partition assignment includes a partition with {replicas.Count} replica(s), but this is not " +
                               $"consistent with previous partitions, which have {expected} replica(s).");
            }

            replicationFactor = replicas.Count;
        }

        return null;
    }

    /// <summary>An INVALID_REPLICA_ASSIGNMENT problem.</summary>
    public static ConfigResources.Problem Invalid(string message) => new(ErrorCode.InvalidReplicaAssignment, message);
}
