using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The outcome of deleting one partition's committed offset.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Error">NONE (also when nothing was committed), GROUP_SUBSCRIBED_TO_TOPIC or UNKNOWN_TOPIC_OR_PARTITION.</param>
internal sealed record OffsetDeletePartitionResult(GroupTopicPartition Partition, ErrorCode Error);

/// <summary>The outcome of an OffsetDelete request.</summary>
/// <param name="Error">The group-level error: NONE, INVALID_GROUP_ID, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP (then no partitions).</param>
/// <param name="Partitions">Per-partition outcomes.</param>
internal sealed record OffsetDeleteResult(ErrorCode Error, IReadOnlyList<OffsetDeletePartitionResult> Partitions);
