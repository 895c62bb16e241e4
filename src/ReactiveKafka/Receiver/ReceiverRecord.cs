using System.Diagnostics;
using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// A received record: the Confluent <see cref="ConsumeResult{TKey, TValue}"/> and its <see cref="ReceiverOffset"/>, the
/// handle to acknowledge or commit it.
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class ReceiverRecord<TKey, TValue>
{
    internal ReceiverRecord(ConsumeResult<TKey, TValue> consumeResult, ReceiverOffset offset)
    {
        ConsumeResult = consumeResult;
        Offset = offset;
    }

    /// <summary>The record as Confluent returned it.</summary>
    public ConsumeResult<TKey, TValue> ConsumeResult { get; }

    /// <summary>
    /// The record's offset and its acknowledgement handle: <c>record.Offset.Value</c> is the offset,
    /// <c>record.Offset.Acknowledge()</c> (or <see cref="ReceiverOffset.CommitAsync"/>) says the record is processed.
    /// </summary>
    public ReceiverOffset Offset { get; }

    /// <summary>
    /// The record's process span (a consumer span of the <see cref="KafkaDiagnostics.ActivitySourceName"/> source, parented
    /// on the producer's span found in the record's <c>traceparent</c> header), or null while nobody listens to that
    /// source (and with <c>ReceiveAtMostOnce</c>, whose records are never acknowledged). It starts when the record is taken from the consumer and ends when it is acknowledged. The observable
    /// APIs make it <see cref="Activity.Current"/> while the subscriber's <c>OnNext</c> runs; with
    /// <c>ReceiveAsync</c>, start child spans from it explicitly (<c>source.StartActivity(name, kind, record.Activity?.Context ?? default)</c>).
    /// </summary>
    public Activity? Activity => Offset.Activity;

    /// <summary>The record's topic.</summary>
    public string Topic => ConsumeResult.Topic;

    /// <summary>The record's partition.</summary>
    public Partition Partition => ConsumeResult.Partition;

    /// <summary>The record's topic and partition.</summary>
    public TopicPartition TopicPartition => ConsumeResult.TopicPartition;

    /// <summary>The record's topic, partition and offset.</summary>
    public TopicPartitionOffset TopicPartitionOffset => ConsumeResult.TopicPartitionOffset;

    /// <summary>The record's key.</summary>
    public TKey Key => ConsumeResult.Message.Key;

    /// <summary>The record's value.</summary>
    public TValue Value => ConsumeResult.Message.Value;

    /// <summary>The record's headers.</summary>
    public Headers Headers => ConsumeResult.Message.Headers;

    /// <summary>The record's timestamp.</summary>
    public Timestamp Timestamp => ConsumeResult.Message.Timestamp;

    /// <summary>The record's topic, partition and offset: <c>orders [1] @0</c>.</summary>
    /// <returns>The display form.</returns>
    public override string ToString() => Formatting.TopicPartitionOffset(Topic, Partition, ConsumeResult.Offset);
}
