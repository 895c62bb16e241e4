using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.SyncOverAsync;

namespace ReactiveKafka;

/// <summary>Asynchronous serializers (Confluent's Schema Registry serializers are <see cref="IAsyncSerializer{T}"/>).</summary>
public sealed partial record SenderOptions<TKey, TValue>
{
    private IAsyncSerializer<TKey>? _asyncKeySerializer;
    private IAsyncSerializer<TValue>? _asyncValueSerializer;

    /// <summary>
    /// Creates options whose key and/or value serializers are asynchronous, such as Confluent's Schema Registry
    /// serializers (Avro, Protobuf, JSON Schema), which may call the registry for the first record of a schema.
    /// </summary>
    /// <remarks>
    /// <c>SendAsync</c> awaits an asynchronous serializer that has not finished; <c>Send</c> (observable) waits for
    /// it on the source's thread, as it waits for an in-flight permit. Records keep their order either way.
    /// </remarks>
    /// <param name="producerProperties">librdkafka producer properties (or a <see cref="ProducerConfig"/>), at least <c>bootstrap.servers</c>.</param>
    /// <param name="keySerializer">The asynchronous key serializer; null picks Confluent's built-in synchronous one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueSerializer">The asynchronous value serializer; null picks Confluent's built-in synchronous one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a serializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(-1)] // (config, null, x) is the mixed overload below
    public SenderOptions(
        IEnumerable<KeyValuePair<string, string>> producerProperties,
        IAsyncSerializer<TKey>? keySerializer = null,
        IAsyncSerializer<TValue>? valueSerializer = null)
        : this(producerProperties, keySerializer?.AsSyncOverAsync(), valueSerializer?.AsSyncOverAsync())
    {
        _asyncKeySerializer = keySerializer;
        _asyncValueSerializer = valueSerializer;
    }

    /// <summary>Creates options with a synchronous key serializer and an asynchronous value serializer (the common Schema Registry case).</summary>
    /// <param name="producerProperties">librdkafka producer properties (or a <see cref="ProducerConfig"/>), at least <c>bootstrap.servers</c>.</param>
    /// <param name="keySerializer">The key serializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueSerializer">The asynchronous value serializer.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a serializer is missing for a type without a built-in one.</exception>
    public SenderOptions(
        IEnumerable<KeyValuePair<string, string>> producerProperties,
        ISerializer<TKey>? keySerializer,
        IAsyncSerializer<TValue> valueSerializer)
        : this(producerProperties, keySerializer, (valueSerializer ?? throw new ArgumentNullException(nameof(valueSerializer))).AsSyncOverAsync())
    {
        _asyncValueSerializer = valueSerializer;
    }

    /// <summary>
    /// The asynchronous key serializer, or null when <see cref="KeySerializer"/> is a synchronous one. Setting it also
    /// sets <see cref="KeySerializer"/> to its synchronous view; to go back to a synchronous serializer set that.
    /// </summary>
    public IAsyncSerializer<TKey>? AsyncKeySerializer
    {
        get => _asyncKeySerializer;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AsyncKeySerializer));
            KeySerializer = value.AsSyncOverAsync();
            _asyncKeySerializer = value;
        }
    }

    /// <summary>
    /// The asynchronous value serializer, or null when <see cref="ValueSerializer"/> is a synchronous one. Setting it
    /// also sets <see cref="ValueSerializer"/> to its synchronous view; to go back to a synchronous serializer set that.
    /// </summary>
    public IAsyncSerializer<TValue>? AsyncValueSerializer
    {
        get => _asyncValueSerializer;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AsyncValueSerializer));
            ValueSerializer = value.AsSyncOverAsync();
            _asyncValueSerializer = value;
        }
    }

    /// <summary>Whether either serializer is asynchronous .</summary>
    internal bool HasAsyncSerializer => _asyncKeySerializer is not null || _asyncValueSerializer is not null;
}
