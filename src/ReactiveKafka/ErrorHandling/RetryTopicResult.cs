using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>What a <see cref="RetryTopicProcessor{TKey, TValue}"/> did with one record read from the topic or a retry topic.</summary>
/// <param name="Outcome">Processed, moved on to the next retry topic, or dead-lettered (never <see cref="RecordOutcome.Failed"/>).</param>
/// <param name="Source">Where the record was read.</param>
/// <param name="Original">Where it was first read.</param>
/// <param name="Attempts">How many times the handler ran on it in all, over every topic (0 for a poison record).</param>
/// <param name="Exception">The last failure, when it moved on; null when processed.</param>
/// <param name="WrittenTo">Where it was written when it moved on; null when processed.</param>
public sealed record RetryTopicResult(
    RecordOutcome Outcome, TopicPartitionOffset Source, TopicPartitionOffset Original, int Attempts, Exception? Exception, TopicPartitionOffset? WrittenTo)
{
    /// <summary>When the record was handled (the processor's clock).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>For a record read from a retry topic: when it was due (its <see cref="DeadLetterHeaders.RetryDue"/>).</summary>
    public DateTimeOffset? Due { get; init; }

    /// <summary>True for a record that could not be deserialized.</summary>
    public bool IsPoison { get; init; }
}
