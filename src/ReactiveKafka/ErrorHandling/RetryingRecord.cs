using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// A record handed to a <see cref="RetryTopicProcessor{TKey, TValue}"/>'s handler: its key and value, where it was
/// read now (the topic itself or a retry topic), where it was first read, and which attempt this is.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class RetryingRecord<TKey, TValue>
{
    internal RetryingRecord(TKey key, TValue value, Headers headers, TopicPartitionOffset source, TopicPartitionOffset original, Timestamp originalTimestamp, int attempt)
    {
        Key = key;
        Value = value;
        Headers = headers;
        Source = source;
        Original = original;
        OriginalTimestamp = originalTimestamp;
        Attempt = attempt;
    }

    /// <summary>The key.</summary>
    public TKey Key { get; }

    /// <summary>The value.</summary>
    public TValue Value { get; }

    /// <summary>The record's headers as read (on a retry topic they include the <see cref="DeadLetterHeaders"/>).</summary>
    public Headers Headers { get; }

    /// <summary>Where the record was read this time.</summary>
    public TopicPartitionOffset Source { get; }

    /// <summary>Where the record was first read (its place in the processed topic).</summary>
    public TopicPartitionOffset Original { get; }

    /// <summary>The record's timestamp in the processed topic.</summary>
    public Timestamp OriginalTimestamp { get; }

    /// <summary>Which attempt this is, over all topics: 1 for the first.</summary>
    public int Attempt { get; internal set; }

    /// <summary>True when read from a retry topic.</summary>
    public bool IsRetry => Source.Topic != Original.Topic || Source.Offset != Original.Offset;

    /// <inheritdoc/>
    public override string ToString() => $"{Original} (attempt {Attempt}, read at {Source})";
}
