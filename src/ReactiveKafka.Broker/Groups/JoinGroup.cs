using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>One protocol a joining member supports (e.g. an assignor name), with its metadata.</summary>
/// <param name="Name">The protocol name, e.g. <c>range</c> or <c>cooperative-sticky</c>.</param>
/// <param name="Metadata">Opaque protocol metadata (for consumers, the subscription).</param>
internal sealed record GroupProtocol(string Name, ReadOnlyMemory<byte> Metadata);

/// <summary>A JoinGroup request, independent of its wire version.</summary>
/// <param name="GroupId">The group to join.</param>
/// <param name="SessionTimeoutMs">The member's session timeout.</param>
/// <param name="RebalanceTimeoutMs">The member's rebalance timeout; JoinGroup v0 has none, pass the session timeout.</param>
/// <param name="MemberId">The member id assigned earlier, or empty on a first join.</param>
/// <param name="GroupInstanceId">The static member's <c>group.instance.id</c>, or null for a dynamic member.</param>
/// <param name="ProtocolType">The protocol type, e.g. <c>consumer</c>.</param>
/// <param name="Protocols">The supported protocols, in the member's order of preference.</param>
/// <param name="ClientId">The request header's client id; assigned member ids start with it.</param>
/// <param name="ClientHost">The client's address, as DescribeGroups reports it.</param>
/// <param name="RequestVersion">The JoinGroup version: v4+ makes unknown dynamic members join in two steps.</param>
/// <param name="Reason">Why the member (re)joins (v8+), for logs.</param>
internal sealed record JoinGroupInput(
    string GroupId,
    int SessionTimeoutMs,
    int RebalanceTimeoutMs,
    string MemberId,
    string? GroupInstanceId,
    string ProtocolType,
    IReadOnlyList<GroupProtocol> Protocols,
    string ClientId,
    string ClientHost,
    short RequestVersion,
    string? Reason = null);

/// <summary>A member as the leader sees it in its JoinGroup response.</summary>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="Metadata">The member's metadata for the selected protocol.</param>
internal sealed record JoinGroupMember(string MemberId, string? GroupInstanceId, ReadOnlyMemory<byte> Metadata);

/// <summary>The outcome of a JoinGroup request.</summary>
/// <param name="Error">The error code; <see cref="ErrorCode.MemberIdRequired"/> carries the id to rejoin with.</param>
/// <param name="GenerationId">The generation, or -1 on error.</param>
/// <param name="ProtocolType">The group's protocol type (v7+), or null.</param>
/// <param name="ProtocolName">The selected protocol, or null on error.</param>
/// <param name="LeaderId">The leader's member id, or empty.</param>
/// <param name="SkipAssignment">True when the leader must not compute a new assignment (a static leader's rejoin, v9+).</param>
/// <param name="MemberId">The member id to use from now on.</param>
/// <param name="Members">The members and their metadata: only the leader gets them, others get an empty list.</param>
internal sealed record JoinGroupResult(
    ErrorCode Error,
    int GenerationId,
    string? ProtocolType,
    string? ProtocolName,
    string LeaderId,
    bool SkipAssignment,
    string MemberId,
    IReadOnlyList<JoinGroupMember> Members)
{
    /// <summary>An error response that keeps <paramref name="memberId"/> (Kafka's <c>JoinGroupResult(memberId, error)</c>).</summary>
    public static JoinGroupResult Failed(ErrorCode error, string memberId) =>
        new(error, -1, null, null, "", false, memberId, []);
}
