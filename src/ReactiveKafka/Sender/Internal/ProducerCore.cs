using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// What all sends of one <see cref="KafkaSender{TKey, TValue}"/> share: the Confluent producer (bytes in, bytes out),
/// the serializers, the records in flight, the running streams and the close sequence. Thread-safe.
/// </summary>
/// <remarks>
/// Keys and values are serialized here, once per record, rather than by Confluent's typed producer: a serializer
/// exception is then that record's failure without being mixed up with produce errors, and a record retried while
/// librdkafka's queue is full (<see cref="ErrorCode.Local_QueueFull"/>) is not serialized again (Confluent's typed
/// <c>Produce</c> serializes on every call, which costs CPU and repeats side effects such as schema registration).
/// </remarks>
internal sealed partial class ProducerCore<TKey, TValue> : IDisposable, IObservedClient
{
    private const string DeliveryReportFields = "dotnet.producer.delivery.report.fields";
    private const string BackgroundPoll = "dotnet.producer.enable.background.poll";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _clientLogger;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _lock = new();
    private readonly HashSet<ISendStream> _streams = [];
    private readonly TransactionThread? _transactionThread;
    private readonly Thread? _pollThread;
    private volatile bool _stopPolling;
    private IProducer<TKey, TValue>? _typedProducer;
    private int _disposed;
    private volatile bool _producerClosed;
    private long _inFlight;
    private long _peakInFlight;

    public ProducerCore(SenderOptions<TKey, TValue> options)
    {
        Options = options;
        _clientLogger = options.LoggerFactory.CreateLogger(KafkaDiagnostics.LibrdkafkaCategory);
        _logger = options.LoggerFactory.CreateLogger(KafkaDiagnostics.SenderCategory);
        SerializersMayAddHeaders = !ReferenceEquals(options.KeySerializer, DefaultSerializers.For<TKey>())
            || !ReferenceEquals(options.ValueSerializer, DefaultSerializers.For<TValue>());
        var properties = new Dictionary<string, string>(options.ProducerProperties);

        // Results need the offset, the timestamp and the persistence status, never the key and value bytes back:
        // not marshaling them saves two copies per record on the poll thread.
        properties.TryAdd(DeliveryReportFields, "timestamp,status");

        // The sender polls on its own thread rather than Confluent's, so that it knows where one poll's delivery reports
        // end: a stream then wakes its emitter once per poll instead of once per report (at a trickle, each wake of a
        // thread-pool worker for a few results cost more CPU than the results themselves). Unless the caller chose.
        var ownPoll = properties.TryAdd(BackgroundPoll, "false");
        if (options.TransactionalId is { } transactionalId)
        {
            properties["transactional.id"] = transactionalId;
        }

        try
        {
            // Handlers always set: without them librdkafka writes its log lines and errors raw to stderr.
            _producer = new ProducerBuilder<byte[], byte[]>(properties)
                .SetLogHandler((_, message) => ClientLog.Forward(_clientLogger, message))
                .SetErrorHandler((producer, error) => ClientLog.ForwardError(_clientLogger, producer.Name, error))
                .Build();
        }
        catch (InvalidOperationException error)
        {
            // librdkafka rejected a property ("No such configuration property: ...", "Invalid value for ...").
            throw new ArgumentException($"SenderOptions.ProducerProperties: {error.Message}", nameof(options.ProducerProperties), error);
        }

        if (ownPoll)
        {
            _pollThread = new Thread(static state => ((ProducerCore<TKey, TValue>)state!).PollLoop())
            {
                IsBackground = true,
                Name = "ReactiveKafka sender poll",
            };
            _pollThread.Start(this);
        }

        if (options.TransactionalId is { } id)
        {
            _transactionThread = new TransactionThread(id);
            Transactions = new KafkaTransactionManager(_producer, _transactionThread, id, options.TransactionOperationTimeout);
        }

        if (KafkaDiagnostics.IsSupported)
        {
            KafkaMetrics.Register(this);
        }
    }

    void IObservedClient.Observe(ObservedValue what, List<System.Diagnostics.Metrics.Measurement<long>> into)
    {
        if (what == ObservedValue.InFlight)
        {
            into.Add(new(InFlightCount, new KeyValuePair<string, object?>("messaging.system", "kafka"), new KeyValuePair<string, object?>("messaging.client.id", Name)));
        }
    }

    /// <summary>The transaction manager, when the options name a transactional id.</summary>
    public KafkaTransactionManager? Transactions { get; }

    public SenderOptions<TKey, TValue> Options { get; }

    /// <summary>Whether a serializer may add headers (any but Confluent's built-in ones): then each record gets a header list.</summary>
    private bool SerializersMayAddHeaders { get; }

    public InFlightRegistry InFlight { get; } = new();

    /// <summary>Canceled when the sender starts closing.</summary>
    public CancellationToken Closing => _closing.Token;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Records admitted by all streams and single sends and not yet settled.</summary>
    public long InFlightCount => Volatile.Read(ref _inFlight);

    /// <summary>The most records ever in flight at once on this sender (for tests and diagnostics).</summary>
    public long PeakInFlight => Volatile.Read(ref _peakInFlight);

    public string Name => _producer.Name;

    /// <summary>The untyped producer (transaction calls run on it from the <see cref="TransactionThread"/>).</summary>
    public IProducer<byte[], byte[]> Producer => _producer;

    public void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            ThrowDisposed();
        }
    }

    public void Register(ISendStream stream)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _streams.Add(stream);
        }
    }

    public void Unregister(ISendStream stream)
    {
        lock (_lock)
        {
            _streams.Remove(stream);
        }
    }

    public void Admitted()
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        var peak = Volatile.Read(ref _peakInFlight);
        while (inFlight > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }

    public void Settled(int count = 1) => Interlocked.Add(ref _inFlight, -count);

    /// <summary>
    /// Called with a result just queued: on the sender's poll thread, defers <paramref name="stream"/>'s wake to the end
    /// of the current poll (once, however many of its results that poll reports) and returns true; elsewhere (a local
    /// failure, the close's flush, a transaction call serving reports) returns false: wake now.
    /// </summary>
    public bool DeferWake(IDeferredWake stream)
    {
        var deferred = ProducerThreadState.DeferredWakes;
        if (deferred is null)
        {
            return false;
        }

        if (!stream.WakeDeferred)
        {
            stream.WakeDeferred = true;
            deferred.Add(stream);
        }

        return true;
    }

    private void PollLoop()
    {
        var deferred = ProducerThreadState.DeferredWakes = [];
        while (!_stopPolling)
        {
            try
            {
                _producer.Poll(PollInterval);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (KafkaException error)
            {
                ClientLog.ForwardError(_clientLogger, _producer.Name, error.Error);
            }
            finally
            {
                foreach (var stream in deferred)
                {
                    stream.WakeDeferred = false;
                    stream.Wake();
                }

                deferred.Clear();
            }
        }
    }

    /// <summary>
    /// Creates the in-flight record and serializes it; a serializer failure completes it at once with a
    /// <see cref="ErrorCode.Local_KeySerialization"/> / <see cref="ErrorCode.Local_ValueSerialization"/> failure.
    /// </summary>
    public InFlightRecord<TKey, TValue, TCorrelation> Prepare<TCorrelation>(
        SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink, InFlightRecordPool<TKey, TValue, TCorrelation>? pool, out SerializedMessage message)
    {
        message = default;
        var entry = pool?.Rent(record, sink) ?? new InFlightRecord<TKey, TValue, TCorrelation>(this, record, sink);
        var partition = RequestedPartition(record.Partition);
        var headers = record.Headers ?? (SerializersMayAddHeaders ? new Headers() : null);
        if (KafkaTracing.IsListening)
        {
            entry.Activity = KafkaTracing.StartSend(record.Topic, record.Partition, ref headers, record.Headers);
        }

        byte[] key;
        byte[] value;
        try
        {
            key = Options.KeySerializer.Serialize(record.Key, new SerializationContext(MessageComponentType.Key, record.Topic, headers));
        }
        catch (Exception error)
        {
            entry.Fail(new Error(ErrorCode.Local_KeySerialization, error.Message), error, partition);
            return entry;
        }

        try
        {
            value = Options.ValueSerializer.Serialize(record.Value, new SerializationContext(MessageComponentType.Value, record.Topic, headers));
        }
        catch (Exception error)
        {
            entry.Fail(new Error(ErrorCode.Local_ValueSerialization, error.Message), error, partition);
            return entry;
        }

        message = new SerializedMessage(key, value, headers is { Count: > 0 } ? headers : null);
        return entry;
    }

    /// <summary>
    /// Hands a prepared record to librdkafka. False when librdkafka's queue is full (wait for deliveries and retry);
    /// any other failure completes the record with it.
    /// </summary>
    public bool TryProduce<TCorrelation>(InFlightRecord<TKey, TValue, TCorrelation> entry, SerializedMessage serialized)
    {
        if (entry.IsCompleted)
        {
            return true;
        }

        if (!entry.IsPooled && !entry.Registered)
        {
            // A stream's records are found through its pool at close; a single send's through the registry.
            InFlight.Add(entry);
        }

        if (_producerClosed)
        {
            entry.FailOnClose(Options.CloseTimeout);
            return true;
        }

        // Confluent copies the message into librdkafka before Produce returns, so one message object per thread
        // serves every record, and one TopicPartition per topic and partition (Produce(string, ...) would allocate one
        // per call). Both would otherwise be allocated per record, on the path that decides throughput.
        var message = ProducerThreadState.Message ??= new Message<byte[], byte[]>();
        message.Key = serialized.Key!;
        message.Value = serialized.Value!;
        message.Headers = serialized.Headers;
        message.Timestamp = entry.Timestamp is { } timestamp ? new Timestamp(timestamp) : Timestamp.Default;
        try
        {
            _producer.Produce(TopicPartitionFor(entry.Topic, entry.Partition), message, entry.DeliveryHandler);
            return true;
        }
        catch (KafkaException error) when (error.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }
        catch (KafkaException error)
        {
            entry.Fail(error.Error, error, RequestedPartition(entry.Partition));
            return true;
        }
        catch (Exception error)
        {
            entry.Fail(new Error(ErrorCode.Local_Fail, error.Message), error, RequestedPartition(entry.Partition));
            return true;
        }
        finally
        {
            message.Key = null!;
            message.Value = null!;
            message.Headers = null;
        }
    }

    /// <summary>The partition a record asked for: its own, or <see cref="Partition.Any"/> for the partitioner.</summary>
    internal static Partition RequestedPartition(int? partition) => partition is { } p ? new Partition(p) : Partition.Any;

    /// <summary>The topic partition to produce to, cached per thread for the last topic and partition used.</summary>
    private static TopicPartition TopicPartitionFor(string topic, int? partition)
    {
        var requested = RequestedPartition(partition);
        var cached = ProducerThreadState.TopicPartition;
        if (cached is null || cached.Partition != requested || !string.Equals(cached.Topic, topic, StringComparison.Ordinal))
        {
            cached = ProducerThreadState.TopicPartition = new TopicPartition(topic, requested);
        }

        return cached;
    }

    /// <summary>The typed producer over the same librdkafka handle, for <c>DoOnProducer</c>.</summary>
    public IProducer<TKey, TValue> TypedProducer
    {
        get
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                return _typedProducer ??= new DependentProducerBuilder<TKey, TValue>(_producer.Handle)
                    .SetKeySerializer(Options.KeySerializer)
                    .SetValueSerializer(Options.ValueSerializer)
                    .Build();
            }
        }
    }

    /// <summary>
    /// The close sequence: stop every stream from taking records, flush within the close timeout, fail the records
    /// still unacknowledged, dispose the producer. Blocks up to <see cref="SenderOptions{TKey, TValue}.CloseTimeout"/>.
    /// </summary>
    public void Dispose()
    {
        ISendStream[] streams;
        lock (_lock)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            streams = [.. _streams];
        }

        if (KafkaDiagnostics.IsSupported)
        {
            KafkaMetrics.Unregister(this);
        }

        _closing.Cancel();
        var reason = new ObjectDisposedException(
            "KafkaSender", "The sender was disposed while this send was running: records not yet taken from the source were not sent.");
        foreach (var stream in streams)
        {
            stream.OnSenderClosing(reason);
        }

        try
        {
            _producer.Flush(Options.CloseTimeout);
        }
        catch (KafkaException)
        {
            // A fatal producer error: what is left is failed below.
        }

        // Queued transaction calls run (or fail) before the producer goes; an open transaction is aborted by its close.
        _transactionThread?.Dispose();
        _stopPolling = true;
        if (_pollThread is not null && _pollThread != Thread.CurrentThread)
        {
            _pollThread.Join();
        }

        _producerClosed = true;
        var left = InFlight.Count;
        foreach (var stream in streams)
        {
            left += stream.Waiting();
        }

        if (left > 0)
        {
            SenderLog.ClosedWithInFlight(_logger, _producer.Name, left, Options.CloseTimeout);
        }

        FailInFlight(streams);
        _typedProducer?.Dispose();
        _producer.Dispose();
        FailInFlight(streams);
    }

    private void FailInFlight(ISendStream[] streams)
    {
        foreach (var entry in InFlight.Snapshot())
        {
            entry.FailOnClose(Options.CloseTimeout);
        }

        foreach (var stream in streams)
        {
            stream.FailInFlight(Options.CloseTimeout);
        }
    }

    private static void ThrowDisposed() =>
        throw new ObjectDisposedException("KafkaSender", "The KafkaSender has been disposed.");
}
