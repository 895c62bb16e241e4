namespace ReactiveKafka.Protocol;

/// <summary>Helpers generated code uses for tagged fields.</summary>
public static class TaggedFieldEncoding
{
    /// <summary>
    /// Whether a struct differs from a freshly constructed one at <paramref name="version"/>, judged by
    /// their encodings. Kafka omits a tagged field equal to its default; encoding both is the simplest
    /// faithful comparison, and tagged structs are rare and small.
    /// </summary>
    /// <typeparam name="T">The struct type.</typeparam>
    /// <param name="value">The value to test.</param>
    /// <param name="version">The message version.</param>
    public static bool DiffersFromDefault<T>(T value, short version)
        where T : IKafkaMessage, new()
    {
        ArgumentNullException.ThrowIfNull(value);
        using var actual = new ProtocolWriter(64);
        using var empty = new ProtocolWriter(64);
        value.Write(actual, version);
        new T().Write(empty, version);
        return !actual.WrittenSpan.SequenceEqual(empty.WrittenSpan);
    }
}
