using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>One member's assignment, as the leader sends it in SyncGroup.</summary>
/// <param name="MemberId">The member the assignment is for.</param>
/// <param name="Assignment">The opaque assignment bytes.</param>
internal sealed record GroupAssignment(string MemberId, ReadOnlyMemory<byte> Assignment);

/// <summary>A SyncGroup request, independent of its wire version.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="GenerationId">The generation the member joined.</param>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="ProtocolType">The protocol type (v5+), or null when not sent.</param>
/// <param name="ProtocolName">The protocol name (v5+), or null when not sent.</param>
/// <param name="Assignments">The leader's assignments; empty for followers.</param>
internal sealed record SyncGroupInput(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    string? ProtocolType,
    string? ProtocolName,
    IReadOnlyList<GroupAssignment> Assignments);

/// <summary>The outcome of a SyncGroup request.</summary>
/// <param name="Error">The error code.</param>
/// <param name="ProtocolType">The group's protocol type (v5+), or null.</param>
/// <param name="ProtocolName">The group's selected protocol (v5+), or null.</param>
/// <param name="Assignment">This member's assignment; empty on error.</param>
internal sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, ReadOnlyMemory<byte> Assignment)
{
    /// <summary>An error response with no assignment.</summary>
    public static SyncGroupResult Failed(ErrorCode error) => new(error, null, null, ReadOnlyMemory<byte>.Empty);
}
