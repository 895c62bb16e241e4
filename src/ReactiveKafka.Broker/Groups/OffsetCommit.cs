using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>One partition's offset to commit.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The committed offset (the next record to consume).</param>
/// <param name="LeaderEpoch">The leader epoch of the last consumed record (v6+), or -1.</param>
/// <param name="Metadata">Client metadata; null is stored as empty, like Kafka.</param>
internal sealed record OffsetCommitPartition(string Topic, int Partition, long Offset, int LeaderEpoch = -1, string? Metadata = null);

/// <summary>An OffsetCommit request, independent of its wire version.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="GenerationId">The member's generation, or -1 for a commit outside group management.</param>
/// <param name="MemberId">The member id, or empty for a commit outside group management.</param>
/// <param name="GroupInstanceId">The static member's instance id (v7+), or null.</param>
/// <param name="Partitions">The offsets to commit.</param>
/// <param name="RetentionTimeMs">v2–4's explicit retention time, or -1 for the broker's retention.</param>
internal sealed record OffsetCommitInput(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    IReadOnlyList<OffsetCommitPartition> Partitions,
    long RetentionTimeMs = -1);

/// <summary>The outcome for one committed partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Error">The error code.</param>
internal sealed record OffsetCommitPartitionResult(string Topic, int Partition, ErrorCode Error);
