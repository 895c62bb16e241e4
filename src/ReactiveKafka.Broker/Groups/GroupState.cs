namespace ReactiveKafka.Broker.Groups;

/// <summary>The states of a classic consumer group, as Apache Kafka's <c>GroupState</c> names them.</summary>
internal enum GroupState
{
    /// <summary>No members; the group may still hold committed offsets.</summary>
    Empty,

    /// <summary>A rebalance was triggered: the coordinator collects JoinGroup requests.</summary>
    PreparingRebalance,

    /// <summary>Join responses were sent; the coordinator waits for the leader's SyncGroup.</summary>
    CompletingRebalance,

    /// <summary>Assignments were distributed; members heartbeat.</summary>
    Stable,

    /// <summary>The group was deleted or expired and must not be used any more.</summary>
    Dead,
}

/// <summary>Kafka's spelling of group states, as DescribeGroups and ListGroups report them.</summary>
internal static class GroupStateNames
{
    /// <summary>The name Kafka puts on the wire for <paramref name="state"/>.</summary>
    public static string ToKafkaName(this GroupState state) => state switch
    {
        GroupState.Empty => "Empty",
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        _ => "Dead",
    };

    /// <summary>Parses a state name case-insensitively (Kafka's <c>GroupState.parse</c>); null when unknown.</summary>
    public static GroupState? Parse(string name) =>
        Enum.TryParse<GroupState>(name, ignoreCase: true, out var state) && Enum.IsDefined(state) ? state : null;
}
