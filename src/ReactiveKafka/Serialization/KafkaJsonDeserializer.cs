using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// Deserializes keys or values from UTF-8 JSON with System.Text.Json. A Kafka null (a record without a key or a
/// tombstone) and the JSON literal <c>null</c> both give <c>default</c>.
/// </summary>
/// <remarks>
/// Invalid JSON throws a <see cref="JsonException"/>; in a <see cref="KafkaReceiver{TKey, TValue}"/> that ends the
/// sequence with a <see cref="ConsumeException"/> naming the topic, partition and offset. Prefer the
/// <see cref="JsonTypeInfo{T}"/> constructor with a source-generated <c>JsonSerializerContext</c>: it needs no
/// reflection, so it is safe under trimming and Native AOT. Thread-safe.
/// </remarks>
/// <typeparam name="T">The type deserialized.</typeparam>
public sealed class KafkaJsonDeserializer<T> : IDeserializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>Deserializes with the metadata of a (typically source-generated) <see cref="JsonTypeInfo{T}"/>: trimming- and AOT-safe.</summary>
    /// <param name="typeInfo">The type's JSON contract, e.g. <c>MyContext.Default.Order</c>.</param>
    public KafkaJsonDeserializer(JsonTypeInfo<T> typeInfo)
    {
        _typeInfo = typeInfo ?? throw new ArgumentNullException(nameof(typeInfo));
    }

    /// <summary>Deserializes by reflection with <paramref name="options"/> (default: <see cref="JsonSerializerOptions.Web"/>).</summary>
    /// <param name="options">The serializer options; null for <see cref="JsonSerializerOptions.Web"/> (camelCase names).</param>
    [RequiresUnreferencedCode("Reflection-based JSON deserialization may need members that trimming removes. Use the JsonTypeInfo<T> constructor with a source-generated JsonSerializerContext.")]
    [RequiresDynamicCode("Reflection-based JSON deserialization may generate code at run time. Use the JsonTypeInfo<T> constructor with a source-generated JsonSerializerContext.")]
    public KafkaJsonDeserializer(JsonSerializerOptions? options = null)
        : this(KafkaJson.TypeInfo<T>(options))
    {
    }

    /// <summary>The JSON contract used.</summary>
    public JsonTypeInfo<T> TypeInfo => _typeInfo;

    /// <inheritdoc/>
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? default! : JsonSerializer.Deserialize(data, _typeInfo)!;
}
