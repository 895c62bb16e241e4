using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.SyncOverAsync;

namespace ReactiveKafka;

/// <summary>Asynchronous deserializers (Confluent's Schema Registry deserializers are <see cref="IAsyncDeserializer{T}"/>).</summary>
/// <remarks>
/// Records are deserialized on the receiver's own consumer loop thread (Confluent's consumer takes only synchronous
/// deserializers), so an asynchronous one is waited for there: the loop, never a thread-pool thread, waits while the
/// registry answers for the first record of a schema. A Schema Registry deserializer caches schemas, so later records
/// complete synchronously.
/// </remarks>
public sealed partial record ReceiverOptions<TKey, TValue>
{
    private IAsyncDeserializer<TKey>? _asyncKeyDeserializer;
    private IAsyncDeserializer<TValue>? _asyncValueDeserializer;

    /// <summary>
    /// Creates options whose key and/or value deserializers are asynchronous, such as Confluent's Schema Registry
    /// deserializers (Avro, Protobuf, JSON Schema).
    /// </summary>
    /// <param name="consumerProperties">librdkafka consumer properties (or a <see cref="ConsumerConfig"/>): at least <c>bootstrap.servers</c> and <c>group.id</c>.</param>
    /// <param name="keyDeserializer">The asynchronous key deserializer; null picks Confluent's built-in synchronous one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The asynchronous value deserializer; null picks Confluent's built-in synchronous one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a deserializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(-1)] // (config, null, x) is the mixed overload below
    public ReceiverOptions(
        IEnumerable<KeyValuePair<string, string>> consumerProperties,
        IAsyncDeserializer<TKey>? keyDeserializer = null,
        IAsyncDeserializer<TValue>? valueDeserializer = null)
        : this(consumerProperties, keyDeserializer?.AsSyncOverAsync(), valueDeserializer?.AsSyncOverAsync())
    {
        _asyncKeyDeserializer = keyDeserializer;
        _asyncValueDeserializer = valueDeserializer;
    }

    /// <summary>Creates options with a synchronous key deserializer and an asynchronous value deserializer (the common Schema Registry case).</summary>
    /// <param name="consumerProperties">librdkafka consumer properties (or a <see cref="ConsumerConfig"/>): at least <c>bootstrap.servers</c> and <c>group.id</c>.</param>
    /// <param name="keyDeserializer">The key deserializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The asynchronous value deserializer.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a deserializer is missing for a type without a built-in one.</exception>
    public ReceiverOptions(
        IEnumerable<KeyValuePair<string, string>> consumerProperties,
        IDeserializer<TKey>? keyDeserializer,
        IAsyncDeserializer<TValue> valueDeserializer)
        : this(consumerProperties, keyDeserializer, (valueDeserializer ?? throw new ArgumentNullException(nameof(valueDeserializer))).AsSyncOverAsync())
    {
        _asyncValueDeserializer = valueDeserializer;
    }

    /// <summary>
    /// The asynchronous key deserializer, or null when <see cref="KeyDeserializer"/> is a synchronous one. Setting it
    /// also sets <see cref="KeyDeserializer"/> to its synchronous view; to go back to a synchronous one set that.
    /// </summary>
    public IAsyncDeserializer<TKey>? AsyncKeyDeserializer
    {
        get => _asyncKeyDeserializer;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AsyncKeyDeserializer));
            KeyDeserializer = value.AsSyncOverAsync();
            _asyncKeyDeserializer = value;
        }
    }

    /// <summary>
    /// The asynchronous value deserializer, or null when <see cref="ValueDeserializer"/> is a synchronous one. Setting
    /// it also sets <see cref="ValueDeserializer"/> to its synchronous view; to go back to a synchronous one set that.
    /// </summary>
    public IAsyncDeserializer<TValue>? AsyncValueDeserializer
    {
        get => _asyncValueDeserializer;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AsyncValueDeserializer));
            ValueDeserializer = value.AsSyncOverAsync();
            _asyncValueDeserializer = value;
        }
    }
}
