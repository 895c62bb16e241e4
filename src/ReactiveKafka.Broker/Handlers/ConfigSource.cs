namespace ReactiveKafka.Broker.Handlers;

/// <summary>Where a config value comes from, as DescribeConfigs reports it (Kafka's <c>ConfigSource</c> ids).</summary>
internal enum ConfigSource : sbyte
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Set on the topic.</summary>
    DynamicTopic = 1,

    /// <summary>The broker's static configuration.</summary>
    StaticBroker = 4,

    /// <summary>The built-in default.</summary>
    Default = 5,
}
