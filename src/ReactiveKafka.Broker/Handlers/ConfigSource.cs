namespace ReactiveKafka.Broker.Handlers;

/// <summary>Where a config value comes from, as DescribeConfigs reports it (Kafka's <c>ConfigSource</c> ids).</summary>
internal enum ConfigSource : sbyte
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Set on the topic.</summary>
    DynamicTopic = 1,

    /// <summary>Set dynamically for this broker (not possible here).</summary>
    DynamicBroker = 2,

    /// <summary>Set dynamically for every broker (not possible here).</summary>
    DynamicDefaultBroker = 3,

    /// <summary>The broker's static configuration: here its options or command line.</summary>
    StaticBroker = 4,

    /// <summary>Kafka's built-in default.</summary>
    Default = 5,
}
