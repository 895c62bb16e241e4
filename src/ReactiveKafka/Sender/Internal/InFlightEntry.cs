namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// A record handed to the producer and not yet settled, as the <see cref="InFlightRegistry"/> sees it: a node of an
/// intrusive list (no allocation to register) that can be failed when the sender closes.
/// </summary>
internal abstract class InFlightEntry
{
    internal InFlightEntry? Previous;
    internal InFlightEntry? Next;
    internal bool Registered;

    /// <summary>Fails the record if it has no result yet (a delivery report may race with this; the first wins).</summary>
    public abstract void FailOnClose(TimeSpan closeTimeout);

    /// <summary>Whether the record is handed out and still waits for its result.</summary>
    public abstract bool IsWaiting { get; }
}
