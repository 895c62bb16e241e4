namespace ReactiveKafka;

/// <summary>
/// A snapshot of a <see cref="KafkaReceiver{TKey, TValue}"/>'s counts (<see cref="KafkaReceiver{TKey, TValue}.Statistics"/>):
/// the running subscription's gauges (zero while none runs) and counters over the receiver's lifetime. Read from the
/// consumer loop's state without stopping it, so the values of one snapshot may be a few microseconds apart.
/// </summary>
/// <param name="Buffered">
/// Records polled and not yet emitted to the subscriber (bounded by <see cref="ReceiverOptions{TKey, TValue}.BufferSize"/>).
/// </param>
/// <param name="Unacknowledged">
/// Records polled (buffered or emitted) and not yet acknowledged (bounded by
/// <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>; always 0 for <c>ReceiveAtMostOnce</c>).
/// </param>
/// <param name="DeferredAcknowledgements">
/// Acknowledgements held behind an earlier unacknowledged record of their partition (bounded by
/// <see cref="ReceiverOptions{TKey, TValue}.MaxDeferredCommits"/>).
/// </param>
/// <param name="AssignedPartitions">Partitions the running subscription owns.</param>
/// <param name="PausedPartitions">Assigned partitions paused now, by backpressure, a commit retry or the user.</param>
/// <param name="PartitionsLost">Partitions lost since the receiver was created (see <see cref="LostPartition"/>).</param>
/// <param name="AcknowledgementsDropped">
/// Acknowledgements dropped since the receiver was created because their record's partition was no longer owned
/// (revoked, lost, or the subscription had ended): each such record is delivered again to the partition's next reader.
/// </param>
public readonly record struct ReceiverStatistics(
    long Buffered,
    int Unacknowledged,
    int DeferredAcknowledgements,
    int AssignedPartitions,
    int PausedPartitions,
    long PartitionsLost,
    long AcknowledgementsDropped);
