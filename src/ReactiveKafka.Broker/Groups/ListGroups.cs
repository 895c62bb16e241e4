namespace ReactiveKafka.Broker.Groups;

/// <summary>A group as ListGroups reports it.</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="ProtocolType">The protocol type, or empty for a group that only stores offsets.</param>
/// <param name="State">Kafka's state name (v4+).</param>
/// <param name="GroupType">The group type (v5+): always <c>classic</c> here.</param>
internal sealed record ListedGroup(string GroupId, string ProtocolType, string State, string GroupType = "classic");
