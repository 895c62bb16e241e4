using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// A partition the receiver lost (the group gave it away without a revocation: a session timeout, a fenced member),
/// handed to <see cref="ReceiverOptions{TKey, TValue}.OnPartitionsLost"/>: what the receiver had read of it and what
/// the partition's next owner reads again.
/// </summary>
/// <remarks>
/// Nothing is committed for a lost partition (another member may own it already), and every acknowledgement of its
/// records from then on is dropped (counted in <see cref="ReceiverStatistics.AcknowledgementsDropped"/>): the records
/// from <see cref="RedeliveredFrom"/> through <see cref="LastReceived"/>, acknowledged or not, are delivered again to
/// the next owner (possibly this receiver, after it rejoins). Their buffered, not yet emitted records are dropped.
/// </remarks>
/// <param name="TopicPartition">The partition.</param>
/// <param name="RedeliveredFrom">
/// The first offset read again: the offset this receiver last committed for the partition, or, when it committed none
/// since it got the partition, the first offset it received; -1 when it received nothing.
/// </param>
/// <param name="LastReceived">The offset of the last record the receiver received from the partition, or -1.</param>
/// <param name="Unacknowledged">Records received from the partition and not yet acknowledged when it was lost.</param>
public sealed record LostPartition(TopicPartition TopicPartition, long RedeliveredFrom, long LastReceived, int Unacknowledged)
{
    /// <summary>True when records this receiver received will be delivered again (<see cref="RedeliveredFrom"/> through <see cref="LastReceived"/>).</summary>
    public bool RedeliversReceivedRecords => LastReceived >= 0 && RedeliveredFrom <= LastReceived;
}
