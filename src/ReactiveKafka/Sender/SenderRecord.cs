using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// One record to send: where it goes (topic, optional partition), what it carries (key, value, headers, optional
/// timestamp), and correlation metadata that the sender never looks at and returns untouched in the record's
/// <see cref="SenderResult{TCorrelation}"/>.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <typeparam name="TCorrelation">The caller's correlation metadata (an id, the source offset to acknowledge, ...).</typeparam>
/// <param name="Topic">The destination topic.</param>
/// <param name="Key">The key (partitioned by the producer's partitioner unless <see cref="Partition"/> is set).</param>
/// <param name="Value">The value.</param>
/// <param name="Correlation">Metadata returned untouched in the result.</param>
public sealed record SenderRecord<TKey, TValue, TCorrelation>(string Topic, TKey Key, TValue Value, TCorrelation Correlation)
{
    /// <summary>The destination topic; must not be null or empty.</summary>
    public string Topic
    {
        get;
        init => field = ValidTopic(value);
    } = ValidTopic(Topic);

    /// <summary>The destination partition; null (default) lets the producer's partitioner choose from the key.</summary>
    public int? Partition { get; init; }

    /// <summary>The record headers, or null for none. Handed to the producer as is: do not change them while in flight.</summary>
    public Headers? Headers { get; init; }

    /// <summary>The record's create time; null (default) lets the producer stamp the send time.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    private static string ValidTopic(string topic) =>
        !string.IsNullOrEmpty(topic) ? topic : throw new ArgumentException("SenderRecord.Topic must not be null or empty.", nameof(Topic));
}
