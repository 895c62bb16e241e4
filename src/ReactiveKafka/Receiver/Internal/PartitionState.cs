using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// One ownership period of one partition: created when the partition is assigned, marked revoked when it is revoked or
/// lost (or the receiver closes). Records and offsets keep a reference to it, so a record of an earlier ownership
/// period is recognised (not emitted, its acknowledgement ignored) even when the partition is assigned again.
/// </summary>
/// <remarks>
/// <see cref="IsRevoked"/> is read from any thread; everything else is owned by the consumer loop thread.
/// </remarks>
internal sealed class PartitionState(TopicPartition topicPartition, IAcknowledgementSink loop)
{
    private volatile bool _revoked;
    private volatile bool _withdrawsBuffered;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public IAcknowledgementSink Loop { get; } = loop;

    /// <summary>True once the receiver no longer owns this ownership period of the partition.</summary>
    public bool IsRevoked => _revoked;

    /// <summary>The acknowledged-offset tracker (loop thread only).</summary>
    public OffsetTracker Tracker { get; } = new();

    /// <summary>The offset of the first record received in this ownership period, or -1 (loop thread only).</summary>
    public long FirstReceived { get; set; } = -1;

    /// <summary>The offset last committed successfully in this ownership period, or -1 (loop thread only).</summary>
    public long Committed { get; set; } = -1;

    /// <summary>The lowest offset dropped and sought back to since the partition was last paused, or -1 (loop thread only).</summary>
    public long SoughtBackTo { get; set; } = -1;

    /// <summary>For at-most-once: the offset committed ahead of the emitted records, or -1 (loop thread only).</summary>
    public long CommittedAhead { get; set; } = -1;

    /// <summary><see cref="ReceiverOffset.CommitAsync"/> calls waiting for the committed offset to pass theirs (loop thread only).</summary>
    public List<(long Offset, TaskCompletionSource Completion)> CommitWaiters { get; } = [];

    /// <summary>Per-partition mode: the partition's inner sequence (loop thread sets it once).</summary>
    public object? Stream { get; set; }

    /// <summary>
    /// True once records of this ownership period that are still buffered must not be emitted: the partition was
    /// revoked or lost, read again from an earlier offset, or the receiver closed. Not when the receiver ends with an
    /// error: the records taken before the error are still emitted, then the error.
    /// </summary>
    public bool WithdrawsBufferedRecords => _withdrawsBuffered;

    /// <summary>Ends this ownership period; <paramref name="withdrawBufferedRecords"/>: see <see cref="WithdrawsBufferedRecords"/>.</summary>
    public void MarkRevoked(bool withdrawBufferedRecords = true)
    {
        _withdrawsBuffered = withdrawBufferedRecords;
        _revoked = true;
    }
}
