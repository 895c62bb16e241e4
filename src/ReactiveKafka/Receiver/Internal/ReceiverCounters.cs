namespace ReactiveKafka.Receiver.Internal;

/// <summary>A receiver's counters over its lifetime, shared by its subscriptions' loops. Thread-safe (interlocked).</summary>
internal sealed class ReceiverCounters
{
    private long _partitionsLost;
    private long _acknowledgementsDropped;
    private long _clientErrors;
    private string? _lastClientError;

    public long PartitionsLost => Interlocked.Read(ref _partitionsLost);

    public long AcknowledgementsDropped => Interlocked.Read(ref _acknowledgementsDropped);

    public void Lost(int partitions) => Interlocked.Add(ref _partitionsLost, partitions);

    public void AcknowledgementDropped() => Interlocked.Increment(ref _acknowledgementsDropped);

    public long ClientErrors => Interlocked.Read(ref _clientErrors);

    public string? LastClientError => Volatile.Read(ref _lastClientError);

    /// <summary>Counts a non-fatal client error (a topic not available, brokers down) and keeps its description.</summary>
    public void ClientError(string description)
    {
        Interlocked.Increment(ref _clientErrors);
        Volatile.Write(ref _lastClientError, description);
    }
}
