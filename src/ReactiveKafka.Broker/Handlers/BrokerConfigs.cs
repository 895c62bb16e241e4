using System.Collections.Frozen;
using System.Globalization;
using ReactiveKafka.Broker.Storage;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>One source of a config's value, as DescribeConfigs' synonyms list them.</summary>
/// <param name="Name">The config name at that source (a topic config, or the broker config behind it).</param>
/// <param name="Value">Its value there.</param>
/// <param name="Source">The source.</param>
internal readonly record struct ConfigSynonym(string Name, string? Value, ConfigSource Source);

/// <summary>
/// The broker's configs under Kafka's names, for DescribeConfigs: those that stand behind a topic config's default
/// (<c>log.retention.ms</c> for <c>retention.ms</c>, ...) and those that describe the broker (<c>broker.id</c>,
/// <c>log.dirs</c>, ...). A value this broker's options set differently from Kafka's default is a static broker
/// config; the others are Kafka's defaults. Immutable; built per request from the options.
/// </summary>
/// <remarks>
/// Synonyms follow Kafka's <c>ConfigHelper.configSynonyms</c>: for a broker config, every name of its group (the
/// ms/minutes/hours forms of retention, the ms/hours forms of roll and jitter, the flush interval and its scheduler
/// default) that has a static value, then every one that has a default, dropping those listed before the config
/// itself. That is why <c>retention.ms</c> of a fresh topic has no synonyms (Kafka's default lives in
/// <c>log.retention.hours</c>) while <c>segment.bytes</c> has <c>log.segment.bytes</c>.
/// </remarks>
internal sealed class BrokerConfigs
{
    private const string LongMax = "9223372036854775807";

    private static readonly Definition[] Definitions =
    [
        new("advertised.listeners", ConfigType.String, null, "The address clients are told to connect to, when it differs from the listener."),
        new("auto.create.topics.enable", ConfigType.Boolean, "true", "Whether Metadata requests create the unknown topics they name."),
        new("broker.id", ConfigType.Int, "-1", "This broker's id."),
        Synonym("compression.gzip.level", ConfigType.Int, "-1"),
        Synonym("compression.lz4.level", ConfigType.Int, "9"),
        Synonym("compression.type", ConfigType.String, "producer"),
        Synonym("compression.zstd.level", ConfigType.Int, "3"),
        new("default.replication.factor", ConfigType.Int, "1", "The replication factor of auto-created topics; one broker holds one replica."),
        new("group.initial.rebalance.delay.ms", ConfigType.Int, "3000", "How long a new consumer group waits for more members before its first rebalance."),
        new("listeners", ConfigType.String, "PLAINTEXT://:9092", "The address this broker listens on."),
        Synonym("log.cleaner.delete.retention.ms", ConfigType.Long, "86400000"),
        Synonym("log.cleaner.max.compaction.lag.ms", ConfigType.Long, LongMax),
        Synonym("log.cleaner.min.cleanable.ratio", ConfigType.Double, "0.5"),
        Synonym("log.cleaner.min.compaction.lag.ms", ConfigType.Long, "0"),
        Synonym("log.cleanup.policy", ConfigType.List, "delete"),
        new("log.dir", ConfigType.String, "/tmp/kafka-logs", "Kafka's data directory when log.dirs is not set; see log.dirs."),
        new("log.dirs", ConfigType.String, null, "The data directory: topics, segments and committed offsets."),
        Synonym("log.flush.interval.messages", ConfigType.Long, LongMax),
        Synonym("log.flush.interval.ms", ConfigType.Long, null),
        new("log.flush.scheduler.interval.ms", ConfigType.Long, LongMax, "The fsync period used when log.flush.interval.ms is not set."),
        Synonym("log.index.interval.bytes", ConfigType.Int, "4096"),
        Synonym("log.index.size.max.bytes", ConfigType.Int, "10485760"),
        Synonym("log.local.retention.bytes", ConfigType.Long, "-2"),
        Synonym("log.local.retention.ms", ConfigType.Long, "-2"),
        Synonym("log.message.downconversion.enable", ConfigType.Boolean, "true"),
        Synonym("log.message.format.version", ConfigType.String, "3.0-IV1"),
        Synonym("log.message.timestamp.after.max.ms", ConfigType.Long, LongMax),
        Synonym("log.message.timestamp.before.max.ms", ConfigType.Long, LongMax),
        Synonym("log.message.timestamp.difference.max.ms", ConfigType.Long, LongMax),
        Synonym("log.message.timestamp.type", ConfigType.String, "CreateTime"),
        Synonym("log.preallocate", ConfigType.Boolean, "false"),
        Synonym("log.retention.bytes", ConfigType.Long, "-1"),
        new("log.retention.check.interval.ms", ConfigType.Long, "300000", "How often retention deletes expired segments."),
        new("log.retention.hours", ConfigType.Int, "168", "The default retention in hours, when neither log.retention.ms nor log.retention.minutes is set."),
        new("log.retention.minutes", ConfigType.Int, null, "The default retention in minutes, when log.retention.ms is not set."),
        Synonym("log.retention.ms", ConfigType.Long, null),
        new("log.roll.hours", ConfigType.Int, "168", "The default segment age in hours, when log.roll.ms is not set."),
        new("log.roll.jitter.hours", ConfigType.Int, "0", "The default segment jitter in hours, when log.roll.jitter.ms is not set."),
        Synonym("log.roll.jitter.ms", ConfigType.Long, null),
        Synonym("log.roll.ms", ConfigType.Long, null),
        Synonym("log.segment.bytes", ConfigType.Int, "1073741824"),
        Synonym("log.segment.delete.delay.ms", ConfigType.Long, "60000"),
        new("max.connections", ConfigType.Int, "2147483647", "The most client connections served at once; more are refused."),
        Synonym("message.max.bytes", ConfigType.Int, "1048588"),
        Synonym("min.insync.replicas", ConfigType.Int, "1"),
        new("node.id", ConfigType.Int, "-1", "This broker's node id (the same as broker.id)."),
        new("num.partitions", ConfigType.Int, "1", "The partition count of auto-created topics."),
        new("offsets.topic.replication.factor", ConfigType.Short, "3", "The replication of committed offsets; one broker keeps them."),
        new("socket.request.max.bytes", ConfigType.Int, "104857600", "The largest request accepted; a larger one closes the connection."),
        Synonym("unclean.leader.election.enable", ConfigType.Boolean, "false"),
    ];

    private static readonly FrozenDictionary<string, Definition> ByName = Definitions.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    // The topic config each broker synonym stands behind, for its documentation.
    private static readonly FrozenDictionary<string, string> TopicConfigBySynonym = TopicConfigDefinitions.Names
        .Where(t => TopicConfigDefinitions.BrokerSynonymOf(t) is not null)
        .ToFrozenDictionary(t => TopicConfigDefinitions.BrokerSynonymOf(t)!, t => t, StringComparer.Ordinal);

    private readonly Dictionary<string, string> _static = new(StringComparer.Ordinal);

    /// <summary>Derives the static broker configs from the options and the topic defaults they make.</summary>
    public BrokerConfigs(BrokerOptions options, LogConfig topicDefaults)
    {
        var rendered = topicDefaults.ToTopicConfigs();
        foreach (var (topicConfig, value) in rendered)
        {
            if (TopicConfigDefinitions.BrokerSynonymOf(topicConfig) is { } synonym && value != TopicConfigDefinitions.KafkaDefaultOf(topicConfig))
            {
                _static[synonym] = value;
            }
        }

        var id = options.NodeId.ToString(CultureInfo.InvariantCulture);
        _static["broker.id"] = id;
        _static["node.id"] = id;
        _static["log.dirs"] = options.DataDirectory;
        _static["listeners"] = "PLAINTEXT://" + options.Listener;
        _static["offsets.topic.replication.factor"] = "1";
        _static["max.connections"] = options.MaxConnections.ToString(CultureInfo.InvariantCulture);
        SetIfNotDefault("advertised.listeners", options.AdvertisedListener is { } advertised ? "PLAINTEXT://" + advertised : null);
        SetIfNotDefault("auto.create.topics.enable", options.AutoCreateTopics ? "true" : "false");
        SetIfNotDefault("num.partitions", options.DefaultPartitions.ToString(CultureInfo.InvariantCulture));
        SetIfNotDefault("socket.request.max.bytes", options.MaxRequestSize.ToString(CultureInfo.InvariantCulture));
        SetIfNotDefault("group.initial.rebalance.delay.ms", ((long)options.GroupInitialRebalanceDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        SetIfNotDefault("log.retention.check.interval.ms", ((long)options.RetentionCheckInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Every broker config name described, sorted.</summary>
    public static IEnumerable<string> Names => Definitions.Select(d => d.Name);

    /// <summary>The value type of a broker config.</summary>
    public static ConfigType TypeOf(string name) => ByName.TryGetValue(name, out var d) ? d.Type : ConfigType.Unknown;

    /// <summary>What a broker config means here.</summary>
    public static string? DocumentationOf(string name) =>
        !ByName.TryGetValue(name, out var d) ? null
        : d.Documentation ?? $"The broker-wide default of the topic config {TopicConfigBySynonym.GetValueOrDefault(name, name)}; see its documentation.";

    /// <summary>The value of a broker config: its static value, else Kafka's default (null when Kafka has none).</summary>
    public string? ValueOf(string name) =>
        _static.TryGetValue(name, out var value) ? value : ByName.TryGetValue(name, out var d) ? d.KafkaDefault : null;

    /// <summary>The sources of a broker config's value, highest priority first (Kafka's <c>configSynonyms</c>).</summary>
    public List<ConfigSynonym> SynonymsOf(string name)
    {
        var group = GroupOf(name);
        var synonyms = new List<ConfigSynonym>();
        synonyms.AddRange(group.Where(_static.ContainsKey).Select(n => new ConfigSynonym(n, _static[n], ConfigSource.StaticBroker)));
        synonyms.AddRange(group.Where(n => ByName.TryGetValue(n, out var d) && d.KafkaDefault is not null)
            .Select(n => new ConfigSynonym(n, ByName[n].KafkaDefault, ConfigSource.Default)));
        return [.. synonyms.SkipWhile(s => s.Name != name)];
    }

    // Kafka's DynamicBrokerConfig.brokerConfigSynonyms: the names that set the same value, highest priority first.
    private static string[] GroupOf(string name) => name switch
    {
        "log.roll.ms" or "log.roll.hours" => ["log.roll.ms", "log.roll.hours"],
        "log.roll.jitter.ms" or "log.roll.jitter.hours" => ["log.roll.jitter.ms", "log.roll.jitter.hours"],
        "log.flush.interval.ms" => ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"],
        "log.retention.ms" or "log.retention.minutes" or "log.retention.hours" => ["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
        _ => [name],
    };

    private static Definition Synonym(string name, ConfigType type, string? kafkaDefault) => new(name, type, kafkaDefault, null);

    private void SetIfNotDefault(string name, string? value)
    {
        if (value is not null && value != ByName[name].KafkaDefault)
        {
            _static[name] = value;
        }
    }

    /// <param name="Name">Kafka's broker config name.</param>
    /// <param name="Type">Its value type.</param>
    /// <param name="KafkaDefault">Kafka's built-in default, rendered; null when Kafka has none.</param>
    /// <param name="Documentation">What it means here; null for a topic config's broker synonym (derived).</param>
    private sealed record Definition(string Name, ConfigType Type, string? KafkaDefault, string? Documentation);
}
