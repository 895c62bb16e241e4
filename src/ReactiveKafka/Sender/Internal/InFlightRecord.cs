using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// One record on its way, from admission to its result: the delivery handler's target, which
/// turns the report into a <see cref="SenderResult{TCorrelation}"/>. Completes exactly once (a delivery report, a
/// local failure and the sender's close may race; the first wins).
/// </summary>
internal sealed class InFlightRecord<TKey, TValue, TCorrelation> : InFlightEntry
{
    private readonly ProducerCore<TKey, TValue> _core;
    private readonly IResultSink<TCorrelation> _sink;
    private readonly long _started;
    private int _completed;

    public InFlightRecord(ProducerCore<TKey, TValue> core, SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink)
    {
        _core = core;
        Record = record;
        _sink = sink;
        _started = KafkaDiagnostics.IsSupported && KafkaMetrics.OperationDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    public SenderRecord<TKey, TValue, TCorrelation> Record { get; }

    /// <summary>The record's producer span, when tracing is on; stopped with the result.</summary>
    public Activity? Activity { get; set; }

    /// <summary>A new delegate per record: Confluent's only way to tell delivery reports apart.</summary>
    public Action<DeliveryReport<byte[], byte[]>> CreateDeliveryHandler() => OnDelivery;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public void Fail(Error error, Exception? inner, Partition partition) =>
        Complete(new SenderResult<TCorrelation>(
            Record.Topic, partition, Offset.Unset, default, CreateException(error, inner, partition, Offset.Unset), Record.Correlation));

    public override void FailOnClose(TimeSpan closeTimeout) =>
        Fail(new Error(ErrorCode.Local_Destroy, $"The sender was disposed before the broker acknowledged the record (CloseTimeout {closeTimeout} elapsed)."), null, RequestedPartition);

    /// <summary>Fails a record that never reached librdkafka because its stream stopped while the queue was full.</summary>
    public void FailNotSent() =>
        Fail(new Error(ErrorCode.Local_QueueFull, "The send stopped while librdkafka's queue was full: the record was not sent."), null, RequestedPartition);

    private Partition RequestedPartition => ProducerCore<TKey, TValue>.RequestedPartition(Record.Partition);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        // librdkafka's poll thread: build the result and hand it over, nothing else.
        var result = report.Error.IsError
            ? new SenderResult<TCorrelation>(report.Topic, report.Partition, Offset.Unset, default,
                CreateException(report.Error, null, report.Partition, report.Offset, report.Status), Record.Correlation)
            : new SenderResult<TCorrelation>(report.Topic, report.Partition, report.Offset, report.Timestamp, null, Record.Correlation);
        Complete(result);
    }

    private void Complete(SenderResult<TCorrelation> result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        _core.InFlight.Remove(this);
        if (KafkaDiagnostics.IsSupported && (KafkaMetrics.SentMessages.Enabled || _started != 0))
        {
            RecordMetrics(result);
        }

        if (Activity is { } activity)
        {
            KafkaTracing.StopSend(activity, result.Partition, result.Offset, result.Exception);
        }

        _sink.OnResult(result);
    }

    private void RecordMetrics(SenderResult<TCorrelation> result)
    {
        var tags = KafkaMetrics.Tags("send");
        tags.Add("messaging.destination.name", result.Topic);
        if (result.Partition.Value >= 0)
        {
            tags.Add("messaging.destination.partition.id", PartitionIds.Of(result.Partition.Value));
        }

        if (result.Exception is { } error)
        {
            tags.Add("error.type", error is KafkaException kafka ? kafka.Error.Code.ToString() : error.GetType().FullName);
        }

        KafkaMetrics.SentMessages.Add(1, tags);
        if (_started != 0)
        {
            KafkaMetrics.OperationDuration.Record(KafkaMetrics.SecondsSince(_started), tags);
        }
    }

    private ProduceException<TKey, TValue> CreateException(
        Error error, Exception? inner, Partition partition, Offset offset, PersistenceStatus status = PersistenceStatus.NotPersisted)
    {
        var delivery = new DeliveryResult<TKey, TValue>
        {
            TopicPartitionOffset = new TopicPartitionOffset(Record.Topic, partition, offset),
            Status = status,
            Message = new Message<TKey, TValue>
            {
                Key = Record.Key,
                Value = Record.Value,
                Headers = Record.Headers,
                Timestamp = Record.Timestamp is { } timestamp ? new Timestamp(timestamp) : Timestamp.Default,
            },
        };
        return inner is null ? new ProduceException<TKey, TValue>(error, delivery) : new ProduceException<TKey, TValue>(error, delivery, inner);
    }
}
