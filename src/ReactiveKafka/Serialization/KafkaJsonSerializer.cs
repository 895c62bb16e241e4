using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// Serializes keys or values as UTF-8 JSON with System.Text.Json. A null reference is written as a Kafka null (no
/// bytes at all, a tombstone on a compacted topic), not as the JSON literal <c>null</c>.
/// </summary>
/// <remarks>
/// Prefer the <see cref="JsonTypeInfo{T}"/> constructor with a source-generated <c>JsonSerializerContext</c>
/// (<c>new KafkaJsonSerializer&lt;Order&gt;(OrdersJson.Default.Order)</c>): it needs no reflection, so it is safe under
/// trimming and Native AOT. The <see cref="JsonSerializerOptions"/> constructor uses reflection-based serialization.
/// Thread-safe: one instance may serve any number of senders.
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// [JsonSerializable(typeof(Order))]
/// internal sealed partial class OrdersJson : JsonSerializerContext;
///
/// var options = new SenderOptions<string, Order>(config, valueSerializer: new KafkaJsonSerializer<Order>(OrdersJson.Default.Order));
/// ]]></code>
/// </example>
/// <typeparam name="T">The type serialized.</typeparam>
public sealed class KafkaJsonSerializer<T> : ISerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>Serializes with the metadata of a (typically source-generated) <see cref="JsonTypeInfo{T}"/>: trimming- and AOT-safe.</summary>
    /// <param name="typeInfo">The type's JSON contract, e.g. <c>MyContext.Default.Order</c>.</param>
    public KafkaJsonSerializer(JsonTypeInfo<T> typeInfo)
    {
        _typeInfo = typeInfo ?? throw new ArgumentNullException(nameof(typeInfo));
    }

    /// <summary>Serializes by reflection with <paramref name="options"/> (default: <see cref="JsonSerializerOptions.Web"/>).</summary>
    /// <param name="options">The serializer options; null for <see cref="JsonSerializerOptions.Web"/> (camelCase names).</param>
    [RequiresUnreferencedCode("Reflection-based JSON serialization may need members that trimming removes. Use the JsonTypeInfo<T> constructor with a source-generated JsonSerializerContext.")]
    [RequiresDynamicCode("Reflection-based JSON serialization may generate code at run time. Use the JsonTypeInfo<T> constructor with a source-generated JsonSerializerContext.")]
    public KafkaJsonSerializer(JsonSerializerOptions? options = null)
        : this(KafkaJson.TypeInfo<T>(options))
    {
    }

    /// <summary>The JSON contract used.</summary>
    public JsonTypeInfo<T> TypeInfo => _typeInfo;

    /// <inheritdoc/>
    public byte[] Serialize(T data, SerializationContext context) =>
        data is null ? null! : JsonSerializer.SerializeToUtf8Bytes(data, _typeInfo);
}
