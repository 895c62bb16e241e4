using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>Confluent's built-in deserializers, picked by type as <c>ConsumerBuilder</c> does. Thread-safe (stateless).</summary>
internal static class DefaultDeserializers
{
    public static IDeserializer<T>? For<T>() =>
        typeof(T) == typeof(string) ? (IDeserializer<T>)(object)Deserializers.Utf8
        : typeof(T) == typeof(byte[]) ? (IDeserializer<T>)(object)Deserializers.ByteArray
        : typeof(T) == typeof(int) ? (IDeserializer<T>)(object)Deserializers.Int32
        : typeof(T) == typeof(long) ? (IDeserializer<T>)(object)Deserializers.Int64
        : typeof(T) == typeof(float) ? (IDeserializer<T>)(object)Deserializers.Single
        : typeof(T) == typeof(double) ? (IDeserializer<T>)(object)Deserializers.Double
        : typeof(T) == typeof(Null) ? (IDeserializer<T>)(object)Deserializers.Null
        : typeof(T) == typeof(Ignore) ? (IDeserializer<T>)(object)Deserializers.Ignore
        : null;
}
