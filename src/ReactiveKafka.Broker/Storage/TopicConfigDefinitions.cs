using System.Collections.Frozen;
using System.Globalization;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The table of Kafka topic configs (Kafka 3.9's <c>LogConfig</c> names, types and defaults): how each is
/// validated, applied to a <see cref="LogConfig"/> and rendered back, which broker config stands behind it, and what
/// it does here. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// Validation answers with Kafka's messages (<c>ConfigDef</c>'s "Invalid value X for configuration Y: ..."), since
/// clients show them. Configs Kafka has but this single-node broker does not enforce (replication,
/// throttles, tiered storage) are validated the same way and stored, so tools that set them are not refused.
/// </remarks>
internal static class TopicConfigDefinitions
{
    private const string FlushMessages = "flush.messages";
    private const string FlushMs = "flush.ms";
    private const string LongMax = "9223372036854775807";
    private const string Unenforced = " Accepted and stored; this single-node broker does not enforce it.";

    private static readonly Definition[] All =
    [
        new("cleanup.policy", ConfigType.List, "delete", "log.cleanup.policy",
            "The retention policies of the topic, a list of 'delete' and 'compact'. With 'delete', segments older than " +
            "retention.ms or beyond retention.bytes are deleted; with 'compact', the log cleaner keeps the latest record per key.",
            v => ListOf(v, ["compact", "delete"]),
            c => c.CleanupPolicy, (c, v) => c with { CleanupPolicy = v }),
        Kept("compression.gzip.level", ConfigType.Int, "-1", "compression.gzip.level",
            "The gzip level used when compression.type is gzip.", v => Level(v, 1, 9, -1)),
        Kept("compression.lz4.level", ConfigType.Int, "9", "compression.lz4.level",
            "The lz4 level used when compression.type is lz4.", v => Level(v, 1, 17, null)),
        Kept("compression.type", ConfigType.String, "producer", "compression.type",
            "The compression of the stored batches; 'producer' keeps what the producer sent.",
            v => OneOf(v, ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"])),
        Kept("compression.zstd.level", ConfigType.Int, "3", "compression.zstd.level",
            "The zstd level used when compression.type is zstd.", v => Level(v, -131072, 22, null)),
        new("delete.retention.ms", ConfigType.Long, "86400000", "log.cleaner.delete.retention.ms",
            "How long compaction keeps a delete marker (tombstone) after the cleaner first passed it.",
            v => Long(v, 0), c => Format(c.DeleteRetentionMs), (c, v) => c with { DeleteRetentionMs = long.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("file.delete.delay.ms", ConfigType.Long, "60000", "log.segment.delete.delay.ms",
            "How long a deleted segment's files are kept before removal.", v => Long(v, 0)),
        new(FlushMessages, ConfigType.Long, LongMax, "log.flush.interval.messages",
            "1 forces every write to disk before it is acknowledged to acks=all producers and shown to consumers " +
            "(group commit: one fsync covers every write waiting for it); any other value leaves fsync to flush.ms or " +
            "the operating system.",
            v => Long(v, 1), null, null),
        new(FlushMs, ConfigType.Long, LongMax, "log.flush.interval.ms",
            "With flush.messages other than 1: the period of the background fsync; 9223372036854775807 leaves it to " +
            "the operating system.",
            v => Long(v, 0), null, null),
        Kept("follower.replication.throttled.replicas", ConfigType.List, "", null,
            "Replicas throttled on the follower side, as partition:broker pairs or '*'.", ThrottledReplicas),
        new("index.interval.bytes", ConfigType.Int, "4096", "log.index.interval.bytes",
            "Bytes of log between two entries of the sparse offset and time indexes.",
            v => Int(v, 0), c => Format(c.IndexIntervalBytes), (c, v) => c with { IndexIntervalBytes = int.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("leader.replication.throttled.replicas", ConfigType.List, "", null,
            "Replicas throttled on the leader side, as partition:broker pairs or '*'.", ThrottledReplicas),
        Kept("local.retention.bytes", ConfigType.Long, "-2", "log.local.retention.bytes",
            "Tiered storage: bytes kept locally; -2 follows retention.bytes.", v => Long(v, -2)),
        Kept("local.retention.ms", ConfigType.Long, "-2", "log.local.retention.ms",
            "Tiered storage: time kept locally; -2 follows retention.ms.", v => Long(v, -2)),
        new("max.compaction.lag.ms", ConfigType.Long, LongMax, "log.cleaner.max.compaction.lag.ms",
            "The longest a record stays uncompacted: a log with older dirty records is cleaned whatever its dirty ratio.",
            v => Long(v, 1), c => Format(c.MaxCompactionLagMs), (c, v) => c with { MaxCompactionLagMs = long.Parse(v, CultureInfo.InvariantCulture) }),
        new("max.message.bytes", ConfigType.Int, "1048588", "message.max.bytes",
            "The largest record batch a produce may append; larger ones are refused with MESSAGE_TOO_LARGE.",
            v => Int(v, 0), c => Format(c.MaxMessageBytes), (c, v) => c with { MaxMessageBytes = int.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("message.downconversion.enable", ConfigType.Boolean, "true", "log.message.downconversion.enable",
            "Whether old fetch versions may get down-converted records.", Bool),
        Kept("message.format.version", ConfigType.String, "3.0-IV1", "log.message.format.version",
            "The record format version (deprecated in Kafka; batches are stored as produced).",
            v => v.Length > 0 ? null : "Version value cannot be empty"),
        Kept("message.timestamp.after.max.ms", ConfigType.Long, LongMax, "log.message.timestamp.after.max.ms",
            "How far in the future a record's create time may be.", v => Long(v, 0)),
        Kept("message.timestamp.before.max.ms", ConfigType.Long, LongMax, "log.message.timestamp.before.max.ms",
            "How far in the past a record's create time may be.", v => Long(v, 0)),
        Kept("message.timestamp.difference.max.ms", ConfigType.Long, LongMax, "log.message.timestamp.difference.max.ms",
            "How far a record's create time may differ from the broker's clock (deprecated in Kafka).", v => Long(v, 0)),
        new("message.timestamp.type", ConfigType.String, "CreateTime", "log.message.timestamp.type",
            "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch with the broker's clock.",
            v => OneOf(v, ["CreateTime", "LogAppendTime"]),
            c => c.MessageTimestampType.ToString(),
            (c, v) => c with { MessageTimestampType = v == "LogAppendTime" ? TimestampType.LogAppendTime : TimestampType.CreateTime }),
        new("min.cleanable.dirty.ratio", ConfigType.Double, "0.5", "log.cleaner.min.cleanable.ratio",
            "The share of uncompacted log that starts compaction.", DirtyRatio,
            c => c.MinCleanableDirtyRatio.ToString("R", CultureInfo.InvariantCulture),
            (c, v) => c with { MinCleanableDirtyRatio = double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) }),
        new("min.compaction.lag.ms", ConfigType.Long, "0", "log.cleaner.min.compaction.lag.ms",
            "The shortest a record stays uncompacted.",
            v => Long(v, 0), c => Format(c.MinCompactionLagMs), (c, v) => c with { MinCompactionLagMs = long.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("min.insync.replicas", ConfigType.Int, "1", "min.insync.replicas",
            "The replicas that must hold an acks=all write; there is one here.", v => Int(v, 1)),
        Kept("preallocate", ConfigType.Boolean, "false", "log.preallocate",
            "Whether new segment files are preallocated.", Bool),
        Kept("remote.log.copy.disable", ConfigType.Boolean, "false", null,
            "Tiered storage: stop copying segments to remote storage.", Bool),
        Kept("remote.log.delete.on.disable", ConfigType.Boolean, "false", null,
            "Tiered storage: delete remote data when tiering is turned off.", Bool),
        Kept("remote.storage.enable", ConfigType.Boolean, "false", null,
            "Tiered storage, which this broker does not have: only false is accepted.",
            v => Bool(v) ?? (v.Equals("true", StringComparison.OrdinalIgnoreCase)
                ? "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."
                : null)),
        new("retention.bytes", ConfigType.Long, "-1", "log.retention.bytes",
            "The size a partition may reach before its oldest segments are deleted; -1 means no limit.",
            v => Long(v, long.MinValue), c => Format(c.RetentionBytes), (c, v) => c with { RetentionBytes = long.Parse(v, CultureInfo.InvariantCulture) }),
        new("retention.ms", ConfigType.Long, "604800000", "log.retention.ms",
            "How long a segment is kept after its newest record before it is deleted; -1 keeps it forever.",
            v => Long(v, -1), c => Format(c.RetentionMs), (c, v) => c with { RetentionMs = long.Parse(v, CultureInfo.InvariantCulture) }),
        new("segment.bytes", ConfigType.Int, "1073741824", "log.segment.bytes",
            "The size at which the active segment is closed and a new one started.",
            v => Int(v, 14), c => Format(c.SegmentBytes), (c, v) => c with { SegmentBytes = int.Parse(v, CultureInfo.InvariantCulture) }),
        new("segment.index.bytes", ConfigType.Int, "10485760", "log.index.size.max.bytes",
            "The largest offset index a cleaned segment group may need (the indexes here grow as needed, so appends do not roll on it).",
            v => Int(v, 4), c => Format(c.SegmentIndexBytes), (c, v) => c with { SegmentIndexBytes = int.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("segment.jitter.ms", ConfigType.Long, "0", "log.roll.jitter.ms",
            "A random reduction of segment.ms, to spread segment rolls.", v => Long(v, 0)),
        new("segment.ms", ConfigType.Long, "604800000", "log.roll.ms",
            "The age at which the active segment is closed and a new one started, even if not full.",
            v => Long(v, 1), c => Format(c.SegmentMs), (c, v) => c with { SegmentMs = long.Parse(v, CultureInfo.InvariantCulture) }),
        Kept("unclean.leader.election.enable", ConfigType.Boolean, "false", "unclean.leader.election.enable",
            "Whether a replica outside the in-sync set may become leader; there is one replica here.", Bool),
    ];

    private static readonly FrozenDictionary<string, Definition> ByName = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>All accepted names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(d => d.Name).Order(StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="name"/> is a topic config Kafka knows.</summary>
    public static bool IsKnown(string name) => ByName.ContainsKey(name);

    /// <summary>The value type of a known topic config (<see cref="ConfigType.Unknown"/> otherwise).</summary>
    public static ConfigType TypeOf(string name) => ByName.TryGetValue(name, out var d) ? d.Type : ConfigType.Unknown;

    /// <summary>Kafka's built-in default of a known topic config (the value APPEND and SUBTRACT start from when unset).</summary>
    public static string? KafkaDefaultOf(string name) => ByName.TryGetValue(name, out var d) ? d.KafkaDefault : null;

    /// <summary>The broker config that sets a topic config's default (Kafka's <c>ServerTopicConfigSynonyms</c>), if any.</summary>
    public static string? BrokerSynonymOf(string name) => ByName.TryGetValue(name, out var d) ? d.BrokerSynonym : null;

    /// <summary>What a topic config does on this broker (DescribeConfigs' documentation).</summary>
    public static string? DocumentationOf(string name) => ByName.TryGetValue(name, out var d) ? d.Documentation : null;

    /// <summary>
    /// Builds the config of a topic from <paramref name="configs"/> over <paramref name="defaults"/>. Returns null on
    /// success, else Kafka's message for the first offending entry (the broker answers INVALID_CONFIG with it).
    /// </summary>
    public static string? Apply(IReadOnlyDictionary<string, string> configs, LogConfig defaults, out LogConfig config)
    {
        config = defaults;
        var unenforced = new SortedDictionary<string, string>(defaults.UnenforcedConfigs.ToDictionary(), StringComparer.Ordinal);
        var next = defaults;

        // Names first, then values, as Kafka's LogConfig.validate.
        if (configs.Keys.Order(StringComparer.Ordinal).FirstOrDefault(name => !ByName.ContainsKey(name)) is { } unknown)
        {
            return $"Unknown topic config name: {unknown}";
        }

        foreach (var (name, raw) in configs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var definition = ByName[name];
            var value = Normalize(raw?.Trim() ?? string.Empty, definition.Type);
            if (definition.Validate(value) is { } problem)
            {
                return $"Invalid value {raw?.Trim()} for configuration {name}: {problem}";
            }

            if (definition.Set is { } set)
            {
                next = set(next, value);
            }
            else if (definition.Get is null && name is not (FlushMessages or FlushMs))
            {
                unenforced[name] = value;
            }
        }

        if (next.MinCompactionLagMs > next.MaxCompactionLagMs)
        {
            return $"conflict topic config setting min.compaction.lag.ms ({next.MinCompactionLagMs}) > max.compaction.lag.ms ({next.MaxCompactionLagMs})";
        }

        config = ApplyFlush(configs, defaults, next) with { UnenforcedConfigs = unenforced.ToFrozenDictionary(StringComparer.Ordinal) };
        return null;
    }

    /// <summary>Every topic config with its value in <paramref name="config"/>, rendered as Kafka renders it.</summary>
    public static IReadOnlyDictionary<string, string> Render(LogConfig config)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in All)
        {
            result[d.Name] = d.Get is { } get ? get(config)
                : config.UnenforcedConfigs.TryGetValue(d.Name, out var stored) ? stored
                : d.KafkaDefault;
        }

        var (messages, ms) = config.FlushPolicy switch
        {
            FlushPolicy.Durable => (1L, long.MaxValue),
            FlushPolicy.Interval => (long.MaxValue, config.FlushIntervalMs),
            _ => (long.MaxValue, long.MaxValue),
        };
        result[FlushMessages] = Format(messages);
        result[FlushMs] = Format(ms);
        return result;
    }

    // Kafka fsyncs when either flush.messages or flush.ms triggers. flush.messages=1 (every write) is our
    // group-committed Durable policy; any other count cannot be honoured per message, so it falls back to
    // flush.ms (Interval) or, with flush.ms unbounded, to the OS. Both values are validated by then.
    private static LogConfig ApplyFlush(IReadOnlyDictionary<string, string> configs, LogConfig defaults, LogConfig config)
    {
        var hasMessages = configs.TryGetValue(FlushMessages, out var rawMessages);
        var hasMs = configs.TryGetValue(FlushMs, out var rawMs);
        if (!hasMessages && !hasMs)
        {
            return config;
        }

        var messages = hasMessages ? long.Parse(rawMessages!.Trim(), CultureInfo.InvariantCulture)
            : defaults.FlushPolicy == FlushPolicy.Durable ? 1 : long.MaxValue;
        var ms = hasMs ? long.Parse(rawMs!.Trim(), CultureInfo.InvariantCulture)
            : defaults.FlushPolicy == FlushPolicy.OperatingSystem ? long.MaxValue : defaults.FlushIntervalMs;
        return messages == 1
            ? config with { FlushPolicy = FlushPolicy.Durable, FlushIntervalMs = ms == long.MaxValue ? defaults.FlushIntervalMs : ms }
            : ms == long.MaxValue
                ? config with { FlushPolicy = FlushPolicy.OperatingSystem }
                : config with { FlushPolicy = FlushPolicy.Interval, FlushIntervalMs = Math.Max(1, ms) };
    }

    // Kafka parses values into their type and renders them back: lists lose blanks around items, booleans any case.
    private static string Normalize(string value, ConfigType type) => type switch
    {
        ConfigType.List => string.Join(',', value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)),
        ConfigType.Boolean => value.ToLowerInvariant(),
        _ => value,
    };

    private static Definition Kept(string name, ConfigType type, string kafkaDefault, string? brokerSynonym, string documentation, Func<string, string?> validate) =>
        new(name, type, kafkaDefault, brokerSynonym, documentation + Unenforced, validate, null, null);

    // The checks below return ConfigDef's wording for the part after "Invalid value X for configuration Y: ".
    private static string? Long(string value, long min) =>
        !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? "Not a number of type LONG"
        : parsed < min ? $"Value must be at least {min}"
        : null;

    private static string? Int(string value, long min) =>
        !int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? "Not a number of type INT"
        : parsed < min ? $"Value must be at least {min}"
        : null;

    private static string? Level(string value, int min, int max, int? orExactly) =>
        !int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? "Not a number of type INT"
        : parsed == orExactly || (parsed >= min && parsed <= max) ? null
        : orExactly is { } exactly ? $"Value must be between {min} and {max} or equal to {exactly}"
        : parsed < min ? $"Value must be at least {min}" : $"Value must be no more than {max}";

    private static string? Bool(string value) =>
        value is "true" or "false" ? null : "Expected value to be either true or false";

    private static string? DirtyRatio(string value) =>
        !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? "Not a number of type DOUBLE"
        : parsed < 0 ? "Value must be at least 0"
        : parsed > 1 ? "Value must be no more than 1"
        : null;

    private static string? OneOf(string value, string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? null : $"String must be one of: {string.Join(", ", allowed)}";

    private static string? ListOf(string value, string[] allowed) =>
        value.Length == 0 ? "must be a non-empty list of 'delete' and/or 'compact'"
        : value.Split(',').Select(item => OneOf(item, allowed)).FirstOrDefault(p => p is not null);

    private static string? ThrottledReplicas(string value) =>
        value.Length == 0 || value == "*" || value.Split(',').All(IsPartitionBroker)
            ? null
            : "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";

    private static bool IsPartitionBroker(string item) =>
        item.Split(':') is [var partition, var broker] &&
        int.TryParse(partition, NumberStyles.None, CultureInfo.InvariantCulture, out _) &&
        int.TryParse(broker, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string Format(long value) => LogConfig.FormatLong(value);

    /// <param name="Name">Kafka's topic config name.</param>
    /// <param name="Type">Its value type.</param>
    /// <param name="KafkaDefault">Kafka's built-in default, rendered.</param>
    /// <param name="BrokerSynonym">The broker config that sets its default, if any.</param>
    /// <param name="Documentation">What it does here.</param>
    /// <param name="Validate">Kafka's complaint about a (normalized) value, or null.</param>
    /// <param name="Get">Renders the value from an enforced config; null when stored verbatim.</param>
    /// <param name="Set">Applies a validated value to an enforced config; null when stored verbatim.</param>
    private sealed record Definition(
        string Name,
        ConfigType Type,
        string KafkaDefault,
        string? BrokerSynonym,
        string Documentation,
        Func<string, string?> Validate,
        Func<LogConfig, string>? Get,
        Func<LogConfig, string, LogConfig>? Set);
}
