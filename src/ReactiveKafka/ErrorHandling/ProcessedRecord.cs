using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// One record after in-place processing (<see cref="ErrorHandlingExtensions.ProcessWithRetry{TKey, TValue}"/>) and,
/// for a failed one, after dead-lettering (<see cref="ErrorHandlingExtensions.DeadLetter{TKey, TValue}"/>).
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
/// <param name="Record">The received record.</param>
/// <param name="Outcome">How its processing ended.</param>
/// <param name="Attempts">How many times the handler ran on it.</param>
/// <param name="Exception">The last attempt's exception; null when processed.</param>
public sealed record ProcessedRecord<TKey, TValue>(ReceiverRecord<TKey, TValue> Record, RecordOutcome Outcome, int Attempts, Exception? Exception)
{
    /// <summary>Where the record was written (dead-letter topic), when it was; null otherwise.</summary>
    public TopicPartitionOffset? WrittenTo { get; init; }
}
