namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// Settings of the group coordinator, named after the Kafka broker configs they mirror.
/// </summary>
internal sealed record GroupCoordinatorOptions
{
    /// <summary>
    /// <c>group.initial.rebalance.delay.ms</c>: how long the first rebalance of an empty group waits
    /// for more members (extended while new members keep arriving, up to the rebalance timeout).
    /// Kafka defaults to 3 s; the bundled broker serves tests and local runs, so it waits 100 ms.
    /// </summary>
    public TimeSpan InitialRebalanceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary><c>group.min.session.timeout.ms</c> (Kafka: 6 s). Joins below it get INVALID_SESSION_TIMEOUT.</summary>
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary><c>group.max.session.timeout.ms</c> (Kafka: 30 min). Joins above it get INVALID_SESSION_TIMEOUT.</summary>
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary><c>group.max.size</c>: members beyond it get GROUP_MAX_SIZE_REACHED (Kafka: unlimited).</summary>
    public int MaxGroupSize { get; init; } = int.MaxValue;

    /// <summary>
    /// How long a member that joined for the first time may stay silent while its join is pending
    /// before it is expired (Kafka's <c>NewMemberJoinTimeoutMs</c>, KIP-394: 5 min).
    /// </summary>
    public TimeSpan NewMemberJoinTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>offsets.retention.minutes</c> (Kafka: 7 days): how long offsets of an empty group are kept.</summary>
    public TimeSpan OffsetsRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary><c>offsets.retention.check.interval.ms</c> (Kafka: 10 min): how often expired offsets and groups are removed.</summary>
    public TimeSpan OffsetsRetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>offset.metadata.max.bytes</c> (Kafka: 4096): longer commit metadata gets OFFSET_METADATA_TOO_LARGE.</summary>
    public int MaxOffsetMetadataLength { get; init; } = 4096;
}
