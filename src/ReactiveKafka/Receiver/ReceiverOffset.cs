using System.ComponentModel;
using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Diagnostics;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// The offset of one received record and the way to say it has been processed: <see cref="Acknowledge"/> (committed
/// later, by <see cref="ReceiverOptions{TKey, TValue}.CommitInterval"/> or <see cref="ReceiverOptions{TKey, TValue}.CommitBatchSize"/>,
/// on revocation and on close) or <see cref="CommitAsync"/> (committed now). Thread-safe: acknowledge from any thread,
/// in any order.
/// </summary>
/// <remarks>
/// <para>
/// A partition's committed offset only advances over a contiguous run of acknowledged records: acknowledging record 7
/// before record 6 commits nothing past 6 until 6 is acknowledged too.
/// </para>
/// <para>
/// Acknowledgements of a partition the receiver no longer owns (revoked, lost, or the subscription ended) are dropped:
/// the partition's next reader reads those records again. A revocation commits what was acknowledged before it; a loss
/// commits nothing (another member may own the partition already), and
/// <see cref="ReceiverOptions{TKey, TValue}.OnPartitionsLost"/> gets each lost partition's <see cref="LostPartition"/>
/// with the offsets that will be delivered again. Each dropped acknowledgement is counted in
/// <see cref="ReceiverStatistics.AcknowledgementsDropped"/>, and <see cref="CommitAsync"/> of such a record fails with
/// <see cref="ErrorCode.Local_State"/>.
/// </para>
/// </remarks>
public sealed class ReceiverOffset
{
    private readonly PartitionState? _partition;
    private int _acknowledged;
    private Activity? _activity;

    internal ReceiverOffset(PartitionState? partition, TopicPartitionOffset topicPartitionOffset)
    {
        _partition = partition;
        TopicPartitionOffset = topicPartitionOffset;
    }

    /// <summary>The record's topic, partition and offset.</summary>
    public TopicPartitionOffset TopicPartitionOffset { get; }

    /// <summary>The record's topic and partition.</summary>
    public TopicPartition TopicPartition => TopicPartitionOffset.TopicPartition;

    /// <summary>The record's offset in its partition (<c>record.Offset.Value</c>, as Confluent's <see cref="Confluent.Kafka.Offset.Value"/>).</summary>
    public long Value => TopicPartitionOffset.Offset.Value;

    /// <summary>The record's offset in its partition: renamed <see cref="Value"/> (<c>record.Offset.Offset</c> read oddly).</summary>
    [Obsolete("Use Value: record.Offset.Value is the record's offset.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public long Offset => Value;

    /// <summary>True once <see cref="Acknowledge"/> or <see cref="CommitAsync"/> was called.</summary>
    public bool IsAcknowledged => Volatile.Read(ref _acknowledged) != 0;

    internal PartitionState? Partition => _partition;

    /// <summary>The record's process span (tracing on), ended by the first acknowledgement.</summary>
    internal Activity? Activity
    {
        get => Volatile.Read(ref _activity);
        set => _activity = value;
    }

    private void EndActivity()
    {
        if (_activity is not null && Interlocked.Exchange(ref _activity, null) is { } activity)
        {
            KafkaTracing.Stop(activity);
        }
    }

    /// <summary>
    /// Marks the record processed. Its offset is committed with the next periodic or batch commit once every earlier
    /// record of its partition is acknowledged too. Idempotent; cheap (queued for the consumer loop).
    /// </summary>
    public void Acknowledge()
    {
        if (Interlocked.Exchange(ref _acknowledged, 1) != 0 || _partition is not { } partition)
        {
            return;
        }

        EndActivity();

        if (partition.IsRevoked)
        {
            partition.Loop.AcknowledgementDropped();
        }
        else
        {
            partition.Loop.Acknowledged(this);
        }
    }

    /// <summary>
    /// Acknowledges the record and commits its partition's offset past it as soon as possible (at the next poll).
    /// </summary>
    /// <remarks>
    /// The task completes when the partition's committed offset covers this record. When earlier records of the
    /// partition are not yet acknowledged it waits for them (a commit never runs ahead of processing). It fails with the
    /// commit's <see cref="KafkaException"/> when the commit fails for good, and with a <see cref="KafkaException"/>
    /// (<see cref="ErrorCode.Local_State"/>) when the partition is revoked or the subscription closes before the record's
    /// offset could be committed. Canceling stops waiting, not the commit.
    /// </remarks>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>A task with the commit's outcome for this record.</returns>
    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_partition is null)
        {
            return Task.CompletedTask;
        }

        if (_partition.IsRevoked)
        {
            return Task.FromException(Revoked(TopicPartitionOffset));
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _acknowledged, 1);
        EndActivity();
        _partition.Loop.CommitRequested(this, completion);
        return cancellationToken.CanBeCanceled ? completion.Task.WaitAsync(cancellationToken) : completion.Task;
    }

    /// <inheritdoc/>
    public override string ToString() => TopicPartitionOffset.ToString();

    internal static KafkaException Revoked(TopicPartitionOffset offset) =>
        new(new Error(ErrorCode.Local_State, $"{offset.TopicPartition} is no longer owned by this receiver (revoked, lost or closed): offset {offset.Offset.Value} was not committed; the partition's new owner reads it again."));
}
