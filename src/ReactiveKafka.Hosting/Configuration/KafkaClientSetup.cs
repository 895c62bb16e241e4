using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// What configuration cannot say about a sender: its serializers, and any last change to the options built from the
/// settings (the logger factory is the host's unless changed here).
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class KafkaSenderSetup<TKey, TValue>
{
    /// <summary>The key serializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</summary>
    public ISerializer<TKey>? KeySerializer { get; set; }

    /// <summary>The value serializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</summary>
    public ISerializer<TValue>? ValueSerializer { get; set; }

    /// <summary>Changes the options built from the settings (with <c>with</c> expressions); runs when the sender is created.</summary>
    public Func<IServiceProvider, SenderOptions<TKey, TValue>, SenderOptions<TKey, TValue>>? Customize { get; set; }
}

/// <summary>
/// What configuration cannot say about a receiver: its deserializers, and any last change to the options built from
/// the settings (listeners, a manual assignment; the logger factory is the host's unless changed here).
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class KafkaReceiverSetup<TKey, TValue>
{
    /// <summary>The key deserializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</summary>
    public IDeserializer<TKey>? KeyDeserializer { get; set; }

    /// <summary>The value deserializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</summary>
    public IDeserializer<TValue>? ValueDeserializer { get; set; }

    /// <summary>Changes the options built from the settings (with <c>with</c> expressions); runs when the receiver is created.</summary>
    public Func<IServiceProvider, ReceiverOptions<TKey, TValue>, ReceiverOptions<TKey, TValue>>? Customize { get; set; }
}
