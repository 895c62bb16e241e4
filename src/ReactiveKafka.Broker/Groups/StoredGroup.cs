namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// What the store remembers of a group besides its offsets (Kafka's group metadata record): its protocol type and
/// generation, and while the group is Stable the generation's members, so a restart shorter than their session
/// timeouts is invisible to them.
/// </summary>
/// <param name="ProtocolType">The protocol type, or null for an offsets-only group.</param>
/// <param name="GenerationId">The last generation.</param>
/// <param name="Stable">The members of the stable generation <paramref name="GenerationId"/>, or null when the group was Empty.</param>
internal sealed record StoredGroup(string? ProtocolType, int GenerationId, StoredGeneration? Stable = null);

/// <summary>A stable generation as the store keeps it: written when the leader's SyncGroup made the group Stable.</summary>
/// <param name="ProtocolName">The protocol the generation selected.</param>
/// <param name="LeaderId">The leader's member id.</param>
/// <param name="Members">The members in join order.</param>
internal sealed record StoredGeneration(string ProtocolName, string LeaderId, IReadOnlyList<StoredMember> Members);

/// <summary>One member of a stored generation (Kafka keeps the same fields).</summary>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">The static member's <c>group.instance.id</c>, or null.</param>
/// <param name="ClientId">The client id.</param>
/// <param name="ClientHost">The client's address.</param>
/// <param name="RebalanceTimeoutMs">Its rebalance timeout.</param>
/// <param name="SessionTimeoutMs">Its session timeout.</param>
/// <param name="Subscription">Its metadata for the selected protocol (the only protocol a restored member keeps, as in Kafka).</param>
/// <param name="Assignment">Its assignment in the generation.</param>
internal sealed record StoredMember(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    int RebalanceTimeoutMs,
    int SessionTimeoutMs,
    ReadOnlyMemory<byte> Subscription,
    ReadOnlyMemory<byte> Assignment);
