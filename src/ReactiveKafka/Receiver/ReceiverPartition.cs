using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// A newly assigned partition, handed to <see cref="ReceiverOptions{TKey, TValue}.OnPartitionsAssigned"/>: choose where
/// reading starts. Without a seek, reading starts at the group's committed offset (or per <c>auto.offset.reset</c>).
/// </summary>
/// <remarks>
/// Valid only during the listener call, on the consumer loop thread (seeks are applied as the assignment's start
/// offsets, the only way librdkafka honours them for a partition being assigned). Later calls throw
/// <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed class ReceiverPartition
{
    private readonly IPartitionQueries _queries;
    private bool _valid = true;

    internal ReceiverPartition(TopicPartition topicPartition, Offset startOffset, IPartitionQueries queries)
    {
        TopicPartition = topicPartition;
        StartOffset = startOffset;
        _queries = queries;
    }

    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>
    /// Where reading will start as chosen so far: <see cref="Offset.Unset"/> (the committed offset), a concrete offset,
    /// <see cref="Offset.Beginning"/> or <see cref="Offset.End"/>.
    /// </summary>
    public Offset StartOffset { get; private set; }

    /// <summary>
    /// The offset of the next record that will be read: the sought offset, else the committed offset, else the
    /// beginning or the end as <c>auto.offset.reset</c> says. Beginning and end are resolved from the broker's
    /// watermarks (a broker round trip).
    /// </summary>
    public long Position
    {
        get
        {
            ThrowIfInvalid();
            var start = StartOffset;
            if (start == Offset.Unset)
            {
                start = _queries.Committed(TopicPartition);
                if (start == Offset.Unset || start.Value < 0)
                {
                    start = _queries.ResetsToEarliest ? Offset.Beginning : Offset.End;
                }
            }

            if (start == Offset.Beginning)
            {
                return _queries.Watermarks(TopicPartition).Low.Value;
            }

            return start == Offset.End ? _queries.Watermarks(TopicPartition).High.Value : start.Value;
        }
    }

    /// <summary>Starts reading at the partition's first available record.</summary>
    public void SeekToBeginning() => Set(Offset.Beginning);

    /// <summary>Starts reading at the end: only records written from now on.</summary>
    public void SeekToEnd() => Set(Offset.End);

    /// <summary>Starts reading at <paramref name="offset"/>.</summary>
    /// <param name="offset">A non-negative offset.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public void Seek(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Set(new Offset(offset));
    }

    /// <summary>
    /// Starts reading at the earliest record whose timestamp is at or after <paramref name="timestamp"/> (the end when
    /// there is none). Queries the broker.
    /// </summary>
    /// <param name="timestamp">The time to start from.</param>
    public void SeekToTimestamp(DateTimeOffset timestamp)
    {
        ThrowIfInvalid();
        Set(_queries.OffsetForTimestamp(TopicPartition, new Timestamp(timestamp)));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{TopicPartition} start {StartOffset}";

    internal void Invalidate() => _valid = false;

    private void Set(Offset offset)
    {
        ThrowIfInvalid();
        StartOffset = offset;
    }

    private void ThrowIfInvalid()
    {
        if (!_valid || !_queries.OnLoopThread)
        {
            throw new InvalidOperationException($"ReceiverPartition {TopicPartition} can only be used inside OnPartitionsAssigned, on the consumer loop thread.");
        }
    }
}
