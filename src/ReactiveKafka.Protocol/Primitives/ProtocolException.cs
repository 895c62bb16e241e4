namespace ReactiveKafka.Protocol;

/// <summary>
/// Thrown when bytes cannot be decoded as the Kafka message they claim to be: truncated input,
/// a negative or oversized length, an invalid varint. The broker answers it by closing the connection.
/// </summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong and where.</summary>
    public ProtocolException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ProtocolException(string message, Exception inner) : base(message, inner)
    {
    }
}
