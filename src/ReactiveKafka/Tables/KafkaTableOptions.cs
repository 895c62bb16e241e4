using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// How a <see cref="KafkaTable{TKey, TValue}"/> reads its compacted topic: the consumer configuration, the topic and the
/// deserializers. Immutable; a bad value throws an <see cref="ArgumentException"/> naming the option.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed record KafkaTableOptions<TKey, TValue>
    where TKey : notnull
{
    /// <summary>Creates options.</summary>
    /// <param name="consumerConfig">
    /// The consumer configuration (at least <c>bootstrap.servers</c>), copied. The table assigns every partition itself
    /// and commits nothing, so <c>group.id</c> is optional (a private one is set when missing).
    /// </param>
    /// <param name="topic">The compacted topic (<c>cleanup.policy</c> containing <c>compact</c>).</param>
    /// <param name="keyDeserializer">The key deserializer; null for Confluent's built-in one of <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The value deserializer (never called for a tombstone); null for Confluent's built-in one of <typeparamref name="TValue"/>.</param>
    public KafkaTableOptions(ConsumerConfig consumerConfig, string topic, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ArgumentNullException.ThrowIfNull(consumerConfig);
        ConsumerConfig = new ConsumerConfig(consumerConfig.ToDictionary(p => p.Key, p => p.Value));
        Topic = topic;
        KeyDeserializer = keyDeserializer ?? DefaultDeserializers.For<TKey>()
            ?? throw new ArgumentException($"KafkaTableOptions.KeyDeserializer is required: {typeof(TKey)} has no built-in deserializer.", nameof(keyDeserializer));
        ValueDeserializer = valueDeserializer ?? DefaultDeserializers.For<TValue>()
            ?? throw new ArgumentException($"KafkaTableOptions.ValueDeserializer is required: {typeof(TValue)} has no built-in deserializer.", nameof(valueDeserializer));
    }

    /// <summary>The consumer configuration (a copy).</summary>
    public ConsumerConfig ConsumerConfig { get; }

    /// <summary>The compacted topic the table reads.</summary>
    public string Topic
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("KafkaTableOptions.Topic must name a topic.", nameof(Topic));
    }

    /// <summary>The key deserializer.</summary>
    public IDeserializer<TKey> KeyDeserializer { get; init; }

    /// <summary>The value deserializer; never called for a tombstone.</summary>
    public IDeserializer<TValue> ValueDeserializer { get; init; }

    /// <summary>Compares keys; null (default) for <see cref="EqualityComparer{T}.Default"/>.</summary>
    public IEqualityComparer<TKey>? KeyComparer { get; init; }

    /// <summary>How long one poll waits; it bounds how fast disposing returns. Default 100 ms; from 1 ms to 10 s.</summary>
    public TimeSpan PollTimeout
    {
        get;
        init => field = value >= TimeSpan.FromMilliseconds(1) && value <= TimeSpan.FromSeconds(10)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PollTimeout), value, "KafkaTableOptions.PollTimeout must be from 1 ms to 10 seconds.");
    } = TimeSpan.FromMilliseconds(100);
}
