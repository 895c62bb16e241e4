using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// The outcome of one <see cref="SenderRecord{TKey, TValue, TCorrelation}"/>: where it was written (topic, partition,
/// offset, timestamp) or why it failed (<see cref="Exception"/>), with the record's correlation metadata.
/// </summary>
/// <typeparam name="TCorrelation">The caller's correlation metadata, as given in the record.</typeparam>
public sealed class SenderResult<TCorrelation>
{
    internal SenderResult(string topic, Partition partition, Offset offset, Timestamp timestamp, Exception? exception, TCorrelation correlation)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        Exception = exception;
        Correlation = correlation;
    }

    /// <summary>The record's topic.</summary>
    public string Topic { get; }

    /// <summary>The partition written to; <see cref="Confluent.Kafka.Partition.Any"/> when the record failed before a partition was chosen.</summary>
    public Partition Partition { get; }

    /// <summary>The offset assigned by the broker; <see cref="Confluent.Kafka.Offset.Unset"/> when the record failed.</summary>
    public Offset Offset { get; }

    /// <summary>The record's timestamp as stored (create time or the broker's log append time); default when the record failed.</summary>
    public Timestamp Timestamp { get; }

    /// <summary>
    /// Null on success; otherwise why the record failed: a <see cref="ProduceException{TKey, TValue}"/> carrying the
    /// Kafka error code and the record (serializer failures use <see cref="ErrorCode.Local_KeySerialization"/> or
    /// <see cref="ErrorCode.Local_ValueSerialization"/> with the serializer's exception inside).
    /// </summary>
    public Exception? Exception { get; }

    /// <summary>True when the broker acknowledged the record.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>The correlation metadata of the record, untouched.</summary>
    public TCorrelation Correlation { get; }

    /// <summary>The topic, partition and offset together.</summary>
    public TopicPartitionOffset TopicPartitionOffset => new(Topic, Partition, Offset);

    /// <summary>Where the record was written and its correlation, <c>orders [1] @0 (42)</c>, or why it failed.</summary>
    /// <returns>The display form.</returns>
    public override string ToString() =>
        Exception is null
            ? $"{Formatting.TopicPartitionOffset(Topic, Partition, Offset)} ({Correlation})"
            : $"{Formatting.TopicPartition(Topic, Partition)} failed: {Exception.Message} ({Correlation})";
}
