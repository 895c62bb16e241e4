using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// One record on its way, from admission to its result: the delivery handler's target, which turns the report into a
/// <see cref="SenderResult{TCorrelation}"/>. Completes exactly once per use (a delivery report, a local failure and
/// the sender's close may race; the first wins).
/// </summary>
/// <remarks>
/// A send stream's records come from its <see cref="InFlightRecordPool{TKey, TValue, TCorrelation}"/> and are used
/// again once their result is out: the delivery delegate is bound once per slot, so a record in flight costs no
/// allocation of its own beyond its result (at a wide window these objects lived until acknowledgement, were promoted
/// by every gen0 collection and dominated the sender's GC pauses). A single send's record (no pool) is used once and
/// registered in the sender's <see cref="InFlightRegistry"/> instead.
/// </remarks>
internal sealed class InFlightRecord<TKey, TValue, TCorrelation> : InFlightEntry
{
    private readonly ProducerCore<TKey, TValue> _core;
    private readonly InFlightRecordPool<TKey, TValue, TCorrelation>? _pool;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private IResultSink<TCorrelation>? _sink;

    // The record's fields, copied rather than the record held: the caller's SenderRecord then dies young instead of
    // living until acknowledgement from an old (pooled) slot, which made every gen0 collection of a wide window mark
    // and promote one record object per record in flight (measured: the GC pause per 1 M records fell ~15 %).
    private string? _topic;
    private int? _partition;
    private TKey? _key;
    private TValue? _value;
    private Headers? _headers;
    private DateTimeOffset? _timestamp;
    private TCorrelation? _correlation;
    private long _started;

    // 1 while free or completed, 0 while the current use waits for its result.
    private int _completed = 1;

    /// <summary>A record of a single send: used once.</summary>
    public InFlightRecord(ProducerCore<TKey, TValue> core, SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink)
        : this(core, pool: null) =>
        Start(record, sink);

    /// <summary>A free slot of <paramref name="pool"/>, started by <see cref="Start"/> for each record.</summary>
    public InFlightRecord(ProducerCore<TKey, TValue> core, InFlightRecordPool<TKey, TValue, TCorrelation>? pool)
    {
        _core = core;
        _pool = pool;
        _onDelivery = OnDelivery;
    }

    /// <summary>The next free slot in the pool's free lists (pool use only).</summary>
    internal InFlightRecord<TKey, TValue, TCorrelation>? NextFree;

    /// <summary>The record's topic (the current use).</summary>
    public string Topic => _topic!;

    /// <summary>The partition the record asked for, or null for the partitioner (the current use).</summary>
    public int? Partition => _partition;

    /// <summary>The record's create time, or null for the producer's (the current use).</summary>
    public DateTimeOffset? Timestamp => _timestamp;

    /// <summary>Whether this record belongs to a pool (then it is not in the sender's <see cref="InFlightRegistry"/>).</summary>
    public bool IsPooled => _pool is not null;

    /// <summary>The record's producer span, when tracing is on; stopped with the result.</summary>
    public Activity? Activity { get; set; }

    /// <summary>The delivery handler, bound once per slot: Confluent tells delivery reports apart by their delegate.</summary>
    public Action<DeliveryReport<byte[], byte[]>> DeliveryHandler => _onDelivery;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Starts a use of this slot for <paramref name="record"/>, whose result goes to <paramref name="sink"/>.</summary>
    public void Start(SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink)
    {
        _topic = record.Topic;
        _partition = record.Partition;
        _key = record.Key;
        _value = record.Value;
        _headers = record.Headers;
        _timestamp = record.Timestamp;
        _correlation = record.Correlation;
        _sink = sink;
        _started = KafkaDiagnostics.IsSupported && KafkaMetrics.OperationDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        Activity = null;

        // Published last: the sender's close reads the fields above once it has won this slot's completion.
        Volatile.Write(ref _completed, 0);
    }

    /// <summary>Fails a record that librdkafka does not hold (serializer or produce failure): the slot can be used again.</summary>
    public void Fail(Error error, Exception? inner, Partition partition) =>
        Complete(new SenderResult<TCorrelation>(
            Topic, partition, Offset.Unset, default, CreateException(error, inner, partition, Offset.Unset), _correlation!), reusable: true);

    /// <summary>
    /// Fails the record on the sender's close. librdkafka may still hold it and report it later, so the slot is not used
    /// again (that late report then finds it completed and is ignored).
    /// </summary>
    public override void FailOnClose(TimeSpan closeTimeout)
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            return;
        }

        var error = new Error(ErrorCode.Local_Destroy, $"The sender was disposed before the broker acknowledged the record (CloseTimeout {closeTimeout} elapsed).");
        Complete(() => new SenderResult<TCorrelation>(
            Topic, RequestedPartition, Offset.Unset, default, CreateException(error, null, RequestedPartition, Offset.Unset), _correlation!));
    }

    /// <summary>Whether the record is waiting for its result (for the close's count).</summary>
    public override bool IsWaiting => Volatile.Read(ref _completed) == 0;

    /// <summary>Fails a record that never reached librdkafka because its stream stopped while the queue was full.</summary>
    public void FailNotSent() =>
        Fail(new Error(ErrorCode.Local_QueueFull, "The send stopped while librdkafka's queue was full: the record was not sent."), null, RequestedPartition);

    private Partition RequestedPartition => ProducerCore<TKey, TValue>.RequestedPartition(_partition);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        // librdkafka's poll thread: build the result and hand it over, nothing else.
        if (Volatile.Read(ref _completed) != 0)
        {
            return; // failed on close before this late report
        }

        var result = report.Error.IsError
            ? new SenderResult<TCorrelation>(report.Topic, report.Partition, Offset.Unset, default,
                CreateException(report.Error, null, report.Partition, report.Offset, report.Status), _correlation!)
            : new SenderResult<TCorrelation>(report.Topic, report.Partition, report.Offset, report.Timestamp, null, _correlation!);
        Complete(result, reusable: true);
    }

    private void Complete(Func<SenderResult<TCorrelation>> result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        Finish(result(), reusable: false);
    }

    private void Complete(SenderResult<TCorrelation> result, bool reusable)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        Finish(result, reusable);
    }

    private void Finish(SenderResult<TCorrelation> result, bool reusable)
    {
        if (_pool is null)
        {
            _core.InFlight.Remove(this);
        }

        if (KafkaDiagnostics.IsSupported && (KafkaMetrics.SentMessages.Enabled || _started != 0))
        {
            RecordMetrics(result);
        }

        if (Activity is { } activity)
        {
            KafkaTracing.StopSend(activity, result.Partition, result.Offset, result.Exception);
        }

        var sink = _sink!;
        if (reusable && _pool is { } pool)
        {
            // The result carries all the caller sees: the slot holds nothing of the record any more.
            _topic = null;
            _key = default;
            _value = default;
            _headers = null;
            _correlation = default;
            _sink = null;
            Activity = null;
            pool.Return(this);
        }

        sink.OnResult(result);
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
            TopicPartitionOffset = new TopicPartitionOffset(Topic, partition, offset),
            Status = status,
            Message = new Message<TKey, TValue>
            {
                Key = _key!,
                Value = _value!,
                Headers = _headers,
                Timestamp = _timestamp is { } timestamp ? new Timestamp(timestamp) : Confluent.Kafka.Timestamp.Default,
            },
        };
        return inner is null ? new ProduceException<TKey, TValue>(error, delivery) : new ProduceException<TKey, TValue>(error, delivery, inner);
    }
}
