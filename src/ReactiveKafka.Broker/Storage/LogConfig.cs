using System.Collections.Frozen;
using System.Globalization;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The settings of one partition log, as Kafka's topic configs express them. Immutable; a change
/// (AlterConfigs) builds a new instance and hands it to <see cref="PartitionLog.UpdateConfig"/>.
/// </summary>
/// <remarks>
/// <see cref="FromTopicConfigs"/> maps Kafka config names onto this record and
/// <see cref="ToTopicConfigs"/> renders it back for DescribeConfigs. Configs Kafka accepts but this
/// broker does not enforce (replication, throttles, timestamp bounds) are validated and stored verbatim in
/// <see cref="UnenforcedConfigs"/> so clients that set them are not refused.
/// </remarks>
internal sealed record LogConfig
{
    /// <summary>Kafka's <c>max.message.bytes</c> default: 1 MiB plus the record batch overhead.</summary>
    public const int DefaultMaxMessageBytes = 1048588;

    /// <summary>The broker defaults (Kafka's, except <see cref="FlushPolicy.Durable"/>).</summary>
    public static LogConfig Default { get; } = new();

    /// <summary><c>segment.bytes</c>: roll to a new segment when the active one would exceed this size.</summary>
    public int SegmentBytes { get; init; } = 1 << 30;

    /// <summary><c>segment.ms</c>: roll when the active segment's first append is older than this.</summary>
    public long SegmentMs { get; init; } = TimeSpan.FromDays(7).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary><c>retention.ms</c>: delete segments whose newest timestamp is older; -1 keeps forever.</summary>
    public long RetentionMs { get; init; } = TimeSpan.FromDays(7).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary><c>retention.bytes</c>: delete oldest segments while the log is larger; -1 means no limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>
    /// Kafka's broker setting <c>producer.id.expiration.ms</c> (1 day): a producer id idle that long (by its last batch's
    /// timestamp) without an ongoing transaction is forgotten by the partition, which then accepts any sequence from it.
    /// </summary>
    public long ProducerIdExpirationMs { get; init; } = TimeSpan.FromDays(1).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary><c>max.message.bytes</c>: the largest record batch accepted.</summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary><c>index.interval.bytes</c>: bytes of log between two sparse offset index entries.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>When writes are forced to disk; see <see cref="Storage.FlushPolicy"/>.</summary>
    public FlushPolicy FlushPolicy { get; init; } = FlushPolicy.Durable;

    /// <summary><c>flush.ms</c>: the fsync period of <see cref="FlushPolicy.Interval"/>.</summary>
    public long FlushIntervalMs { get; init; } = 1000;

    /// <summary><c>message.timestamp.type</c>.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary>
    /// <c>cleanup.policy</c>: a comma-separated list of <c>delete</c> (retention by time and size, DeleteRecords) and
    /// <c>compact</c> (the log cleaner keeps the latest record per key).
    /// </summary>
    public string CleanupPolicy { get; init; } = "delete";

    /// <summary>
    /// Whether <see cref="CleanupPolicy"/> contains <c>delete</c>: only then do <c>retention.ms</c> and
    /// <c>retention.bytes</c> delete segments and DeleteRecords move the log start, as in Kafka. A
    /// <c>compact</c>-only topic never loses a key's latest record to age or size.
    /// </summary>
    public bool Delete => HasPolicy("delete");

    /// <summary>Whether <see cref="CleanupPolicy"/> contains <c>compact</c>.</summary>
    public bool Compact => HasPolicy("compact");

    /// <summary><c>min.cleanable.dirty.ratio</c>: the cleaner takes a log once this share of its cleanable bytes is dirty.</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary><c>min.compaction.lag.ms</c>: a record stays uncompacted at least this long after it was written.</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary><c>max.compaction.lag.ms</c>: a dirty record is compacted at the latest this long after it was written.</summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary><c>delete.retention.ms</c>: a tombstone survives at least this long after the cleaner first passed it.</summary>
    public long DeleteRetentionMs { get; init; } = TimeSpan.FromDays(1).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary><c>segment.index.bytes</c>: bounds the index entries of one segment the cleaner groups (indexes are in memory here, so appends do not roll on it).</summary>
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>
    /// The age at which the active segment rolls: <c>segment.ms</c>, or <c>max.compaction.lag.ms</c> when that is
    /// smaller on a compacted topic, since the cleaner never touches the active segment (Kafka's <c>maxSegmentMs</c>).
    /// </summary>
    public long RollMs => Compact && MaxCompactionLagMs > 0 ? Math.Min(MaxCompactionLagMs, SegmentMs) : SegmentMs;

    /// <summary>Accepted Kafka configs that are stored but have no effect here, by name.</summary>
    public IReadOnlyDictionary<string, string> UnenforcedConfigs { get; init; } =
        FrozenDictionary<string, string>.Empty;

    /// <summary>Every topic config name this broker accepts, in DescribeConfigs order.</summary>
    public static IReadOnlyList<string> SupportedConfigNames => TopicConfigDefinitions.Names;

    /// <summary>
    /// Builds the config of a topic from its Kafka topic configs over <paramref name="defaults"/>.
    /// Returns null on success, else an error message naming the offending key (the broker answers
    /// INVALID_CONFIG with it); never throws for bad input.
    /// </summary>
    public static string? FromTopicConfigs(
        IReadOnlyDictionary<string, string> configs, LogConfig defaults, out LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(configs);
        ArgumentNullException.ThrowIfNull(defaults);
        return TopicConfigDefinitions.Apply(configs, defaults, out config);
    }

    /// <summary>Renders every supported config with its value in this instance (for DescribeConfigs).</summary>
    public IReadOnlyDictionary<string, string> ToTopicConfigs() => TopicConfigDefinitions.Render(this);

    internal static string FormatLong(long value) => value.ToString(CultureInfo.InvariantCulture);

    private bool HasPolicy(string policy)
    {
        foreach (var range in CleanupPolicy.AsSpan().Split(','))
        {
            if (CleanupPolicy.AsSpan()[range].Trim().SequenceEqual(policy))
            {
                return true;
            }
        }

        return false;
    }
}
