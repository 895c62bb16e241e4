using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>One member leaving. LeaveGroup v0–2 carries one member id and no instance id.</summary>
/// <param name="MemberId">The member id, or empty to remove a static member by instance id (admin removal).</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="Reason">Why it leaves (v5+), for logs.</param>
internal sealed record LeavingMember(string MemberId, string? GroupInstanceId, string? Reason = null);

/// <summary>A LeaveGroup request (v3+ batch semantics).</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Members">The members leaving.</param>
internal sealed record LeaveGroupInput(string GroupId, IReadOnlyList<LeavingMember> Members);

/// <summary>The outcome for one leaving member.</summary>
/// <param name="MemberId">The member id as requested.</param>
/// <param name="GroupInstanceId">The instance id as requested.</param>
/// <param name="Error">The member's error code.</param>
internal sealed record LeftMember(string MemberId, string? GroupInstanceId, ErrorCode Error);

/// <summary>The outcome of a LeaveGroup request. For v0–2 report the single member's error at the top level.</summary>
/// <param name="Error">The top-level error code.</param>
/// <param name="Members">Per-member outcomes, in request order.</param>
internal sealed record LeaveGroupResult(ErrorCode Error, IReadOnlyList<LeftMember> Members);
