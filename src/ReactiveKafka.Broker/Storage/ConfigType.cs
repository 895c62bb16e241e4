namespace ReactiveKafka.Broker.Storage;

/// <summary>A config's value type, as DescribeConfigs (v3+) reports it: Kafka's <c>ConfigType</c> ids.</summary>
internal enum ConfigType : sbyte
{
    /// <summary>Not known.</summary>
    Unknown = 0,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean = 1,

    /// <summary>A string.</summary>
    String = 2,

    /// <summary>A 32-bit integer.</summary>
    Int = 3,

    /// <summary>A 16-bit integer.</summary>
    Short = 4,

    /// <summary>A 64-bit integer.</summary>
    Long = 5,

    /// <summary>A floating-point number.</summary>
    Double = 6,

    /// <summary>A comma-separated list: the only type IncrementalAlterConfigs may APPEND to or SUBTRACT from.</summary>
    List = 7,

    /// <summary>A class name.</summary>
    Class = 8,

    /// <summary>A secret, never shown.</summary>
    Password = 9,
}
