namespace ReactiveKafka.Broker;

/// <summary>
/// The broker cannot start for a reason outside its options' syntax: its listen address is taken or not local, or its
/// data directory cannot be used (missing rights, read-only, a file, a full disk). The message names the address or
/// path and the reason, in one line a server can print as is; <see cref="Exception.InnerException"/> holds the
/// operating system's error.
/// </summary>
public sealed class BrokerStartException : IOException
{
    /// <summary>Creates the exception with a message naming the address or path and the reason.</summary>
    public BrokerStartException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
