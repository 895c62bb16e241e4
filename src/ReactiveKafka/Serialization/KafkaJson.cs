using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ReactiveKafka;

/// <summary>Shared by the reflection-based constructors of <see cref="KafkaJsonSerializer{T}"/> and <see cref="KafkaJsonDeserializer{T}"/>.</summary>
internal static class KafkaJson
{
    [RequiresUnreferencedCode("Reflection-based JSON.")]
    [RequiresDynamicCode("Reflection-based JSON.")]
    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions? options)
    {
        // A caller's options may still be mutable: a copy is made read-only with the reflection resolver, so later
        // changes to theirs are not seen and the type's contract is built once.
        var resolved = new JsonSerializerOptions(options ?? JsonSerializerOptions.Web);
        resolved.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        resolved.MakeReadOnly();
        return (JsonTypeInfo<T>)resolved.GetTypeInfo(typeof(T));
    }
}
