using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>Broker queries a <see cref="ReceiverPartition"/> needs, answered by the consumer loop on its own thread.</summary>
internal interface IPartitionQueries
{
    /// <summary>The group's committed offset of the partition, or <see cref="Offset.Unset"/>.</summary>
    Offset Committed(TopicPartition partition);

    /// <summary>The partition's low and high watermarks.</summary>
    WatermarkOffsets Watermarks(TopicPartition partition);

    /// <summary>The earliest offset whose timestamp is at or after <paramref name="timestamp"/>, or <see cref="Offset.End"/>.</summary>
    Offset OffsetForTimestamp(TopicPartition partition, Timestamp timestamp);

    /// <summary>True when <c>auto.offset.reset</c> starts partitions without a committed offset at the beginning.</summary>
    bool ResetsToEarliest { get; }

    /// <summary>True while called on the loop thread (listener callbacks).</summary>
    bool OnLoopThread { get; }
}
