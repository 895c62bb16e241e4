namespace ReactiveKafka.Testing;

/// <summary>
/// The requested kind of broker cannot run here (e.g. no Docker engine for a container). Tests that get
/// it should be reported as skipped with <see cref="Exception.Message"/> as the reason, never as passed.
/// </summary>
public sealed class KafkaTestBrokerUnavailableException : Exception
{
    /// <summary>Creates the exception with the reason and its cause.</summary>
    public KafkaTestBrokerUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
