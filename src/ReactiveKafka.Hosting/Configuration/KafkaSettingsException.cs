namespace ReactiveKafka;

/// <summary>
/// A sender's or receiver's settings are invalid; <see cref="Key"/> is the configuration key at fault and the message
/// starts with it (<c>Kafka:Receivers:billing:MaxUnacknowledged: ...</c>).
/// </summary>
public sealed class KafkaSettingsException : Exception
{
    /// <summary>Creates the exception for <paramref name="key"/> from the options' own check.</summary>
    /// <param name="key">The configuration key at fault.</param>
    /// <param name="inner">The options' exception (its message says what is wrong).</param>
    public KafkaSettingsException(string key, ArgumentException inner)
        : base($"{key}: {inner.Message}", inner)
    {
        Key = key;
    }

    /// <summary>Creates the exception for <paramref name="key"/> with a reason.</summary>
    /// <param name="key">The configuration key at fault.</param>
    /// <param name="reason">What is wrong.</param>
    public KafkaSettingsException(string key, string reason)
        : base($"{key}: {reason}")
    {
        Key = key;
    }

    /// <summary>The configuration key at fault, e.g. <c>Kafka:Receivers:billing:Consumer:group.id</c>.</summary>
    public string Key { get; }
}
