namespace ReactiveKafka.Broker.Groups;

/// <summary>A Heartbeat request, independent of its wire version; the result is just an error code.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="GenerationId">The generation the member belongs to.</param>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">The static member's instance id (v3+), or null.</param>
internal sealed record HeartbeatInput(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId);
