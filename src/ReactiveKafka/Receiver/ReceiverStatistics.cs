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
/// <param name="Lag">
/// Records between the next record the running subscription takes and the high watermark, summed over its assigned
/// partitions (sampled about once a second from the consumer's cached watermarks); -1 while unknown.
/// </param>
/// <param name="BackpressurePause">
/// How long the running subscription's assignment has been paused for backpressure (its bounds reached for more than a
/// moment), or zero while it is not.
/// </param>
/// <param name="ClientErrors">
/// Non-fatal errors librdkafka reported since the receiver was created (a subscribed topic that does not exist or
/// cannot be read, brokers down): it keeps retrying, so they do not end the sequence, but a count that grows while
/// nothing is received points at the cause.
/// </param>
/// <param name="LastClientError">
/// The last of those errors (its code and librdkafka's text, e.g. <c>UnknownTopicOrPart: Subscribed topic not
/// available: orders: Broker: Unknown topic or partition</c>), or null when there was none.
/// </param>
public readonly record struct ReceiverStatistics(
    long Buffered,
    int Unacknowledged,
    int DeferredAcknowledgements,
    int AssignedPartitions,
    int PausedPartitions,
    long PartitionsLost,
    long AcknowledgementsDropped,
    long Lag = -1,
    TimeSpan BackpressurePause = default,
    long ClientErrors = 0,
    string? LastClientError = null);
