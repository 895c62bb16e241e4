using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>A member as DescribeGroups reports it.</summary>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="ClientId">The client id it joined with.</param>
/// <param name="ClientHost">The client's address.</param>
/// <param name="Metadata">Its metadata for the selected protocol; empty unless the group is Stable.</param>
/// <param name="Assignment">Its assignment; empty unless the group is Stable.</param>
internal sealed record DescribedMember(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    ReadOnlyMemory<byte> Metadata,
    ReadOnlyMemory<byte> Assignment);

/// <summary>A group as DescribeGroups reports it. An unknown group is reported as <c>Dead</c> with no error, like Kafka.</summary>
/// <param name="Error">The error code.</param>
/// <param name="GroupId">The group id.</param>
/// <param name="State">Kafka's state name: Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.</param>
/// <param name="ProtocolType">The protocol type, or empty.</param>
/// <param name="ProtocolName">The selected protocol when Stable, else empty.</param>
/// <param name="Members">The members.</param>
internal sealed record DescribedGroup(
    ErrorCode Error,
    string GroupId,
    string State,
    string ProtocolType,
    string ProtocolName,
    IReadOnlyList<DescribedMember> Members);
