namespace ReactiveKafka.Broker.Groups;

/// <summary>A TxnOffsetCommit request, independent of its wire version.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="ProducerId">The transactional producer's id: the offsets are pending under it until its transaction ends.</param>
/// <param name="GenerationId">The member's generation (v3+), or -1.</param>
/// <param name="MemberId">The member id (v3+), or empty.</param>
/// <param name="GroupInstanceId">The static member's instance id (v3+), or null.</param>
/// <param name="Partitions">The offsets to commit.</param>
internal sealed record TxnOffsetCommitInput(
    string GroupId,
    long ProducerId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    IReadOnlyList<OffsetCommitPartition> Partitions);
