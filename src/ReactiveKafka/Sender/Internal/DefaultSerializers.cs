using Confluent.Kafka;

namespace ReactiveKafka.Sender.Internal;

/// <summary>Confluent's built-in serializers, picked by type as <c>ProducerBuilder</c> does. Thread-safe (stateless).</summary>
internal static class DefaultSerializers
{
    public static ISerializer<T>? For<T>() =>
        typeof(T) == typeof(string) ? (ISerializer<T>)(object)Serializers.Utf8
        : typeof(T) == typeof(byte[]) ? (ISerializer<T>)(object)Serializers.ByteArray
        : typeof(T) == typeof(int) ? (ISerializer<T>)(object)Serializers.Int32
        : typeof(T) == typeof(long) ? (ISerializer<T>)(object)Serializers.Int64
        : typeof(T) == typeof(float) ? (ISerializer<T>)(object)Serializers.Single
        : typeof(T) == typeof(double) ? (ISerializer<T>)(object)Serializers.Double
        : typeof(T) == typeof(Null) ? (ISerializer<T>)(object)Serializers.Null
        : null;
}
