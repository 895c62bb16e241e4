namespace ReactiveKafka.Receiver.Internal;

/// <summary>A receiver's counters over its lifetime, shared by its subscriptions' loops. Thread-safe (interlocked).</summary>
internal sealed class ReceiverCounters
{
    private long _partitionsLost;
    private long _acknowledgementsDropped;

    public long PartitionsLost => Interlocked.Read(ref _partitionsLost);

    public long AcknowledgementsDropped => Interlocked.Read(ref _acknowledgementsDropped);

    public void Lost(int partitions) => Interlocked.Add(ref _partitionsLost, partitions);

    public void AcknowledgementDropped() => Interlocked.Increment(ref _acknowledgementsDropped);
}
