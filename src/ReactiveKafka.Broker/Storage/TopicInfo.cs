namespace ReactiveKafka.Broker.Storage;

/// <summary>A topic's metadata as <see cref="TopicStore"/> persists it. Immutable.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="TopicId">The topic id (a Kafka Uuid), fixed at creation.</param>
/// <param name="PartitionCount">The number of partitions.</param>
/// <param name="Configs">The topic configs set explicitly (creation or AlterConfigs), by Kafka name.</param>
/// <param name="Config">The effective log config: <paramref name="Configs"/> over the broker defaults.</param>
internal sealed record TopicInfo(
    string Name,
    Guid TopicId,
    int PartitionCount,
    IReadOnlyDictionary<string, string> Configs,
    LogConfig Config);
