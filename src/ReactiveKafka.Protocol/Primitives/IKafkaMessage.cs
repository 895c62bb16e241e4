namespace ReactiveKafka.Protocol;

/// <summary>A Kafka protocol message (request, response, header or data structure) that writes itself at a version.</summary>
public interface IKafkaMessage
{
    /// <summary>Writes this message's body at <paramref name="version"/>.</summary>
    void Write(ProtocolWriter writer, short version);
}

/// <summary>A Kafka protocol message that can also be read at a version.</summary>
/// <typeparam name="TSelf">The message type itself.</typeparam>
public interface IKafkaMessage<TSelf> : IKafkaMessage
    where TSelf : IKafkaMessage<TSelf>
{
    /// <summary>The lowest version the specification defines.</summary>
    static abstract short LowestSupportedVersion { get; }

    /// <summary>The highest version the specification defines.</summary>
    static abstract short HighestSupportedVersion { get; }

    /// <summary>Reads a message body at <paramref name="version"/>.</summary>
    static abstract TSelf Read(ref ProtocolReader reader, short version);
}

/// <summary>A request or response body of one API key.</summary>
/// <typeparam name="TSelf">The message type itself.</typeparam>
public interface IKafkaApiMessage<TSelf> : IKafkaMessage<TSelf>
    where TSelf : IKafkaApiMessage<TSelf>
{
    /// <summary>The API key this message belongs to.</summary>
    static abstract ApiKey ApiKey { get; }

    /// <summary>Whether <paramref name="version"/> uses the flexible (compact, tagged) encoding.</summary>
    static abstract bool IsFlexible(short version);
}
