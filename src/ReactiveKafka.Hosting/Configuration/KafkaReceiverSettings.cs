namespace ReactiveKafka;

/// <summary>
/// A receiver's settings as bound from a configuration section (e.g. <c>Kafka:Receivers:billing</c>): the librdkafka
/// consumer properties, what to read and the <see cref="ReceiverOptions{TKey, TValue}"/> values that can be written as
/// text. Unset values keep the options' defaults. Checked when the host starts; an error names the configuration key.
/// </summary>
/// <example>
/// <code language="json"><![CDATA[
/// "Kafka": { "Receivers": { "billing": {
///   "Consumer": { "bootstrap.servers": "127.0.0.1:9092", "group.id": "billing", "auto.offset.reset": "earliest" },
///   "Topics": [ "orders" ],
///   "CommitInterval": "00:00:01",
///   "MaxDelayRebalance": "00:00:05"
/// } } }
/// ]]></code>
/// </example>
public sealed class KafkaReceiverSettings
{
    /// <summary>librdkafka consumer properties, by their librdkafka names; <c>bootstrap.servers</c> and <c>group.id</c> are required.</summary>
    public Dictionary<string, string> Consumer { get; set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.Topics"/> (or set <see cref="TopicPattern"/>).</summary>
    public List<string>? Topics { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.TopicPattern"/> (or set <see cref="Topics"/>).</summary>
    public string? TopicPattern { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.CommitInterval"/>.</summary>
    public TimeSpan? CommitInterval { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.CommitBatchSize"/>.</summary>
    public int? CommitBatchSize { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.MaxDeferredCommits"/>.</summary>
    public int? MaxDeferredCommits { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.MaxCommitAttempts"/>.</summary>
    public int? MaxCommitAttempts { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.CommitRetryInterval"/>.</summary>
    public TimeSpan? CommitRetryInterval { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.BufferSize"/>.</summary>
    public int? BufferSize { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>.</summary>
    public int? MaxUnacknowledged { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.PollTimeout"/>.</summary>
    public TimeSpan? PollTimeout { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.CloseTimeout"/>.</summary>
    public TimeSpan? CloseTimeout { get; set; }

    /// <summary>
    /// <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/>: on revocation, how long to wait for the records
    /// already handed out from the revoked partitions to be acknowledged before their offsets are committed, so the
    /// next owners read fewer (with a wait longer than the processing of a record, none) again. A duration such as
    /// <c>"00:00:05"</c>; from zero (the default: no wait) to int.MaxValue milliseconds.
    /// </summary>
    public TimeSpan? MaxDelayRebalance { get; set; }

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.AtMostOnceCommitAheadSize"/> (at-most-once pipelines only).</summary>
    public int? AtMostOnceCommitAheadSize { get; set; }
}
