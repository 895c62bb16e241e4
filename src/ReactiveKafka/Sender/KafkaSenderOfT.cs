using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Sender.Internal;

namespace ReactiveKafka;

/// <summary>
/// Sends records to Kafka from <see cref="IObservable{T}"/> or <see cref="IAsyncEnumerable{T}"/> sources with
/// backpressure, and returns one <see cref="SenderResult{TCorrelation}"/> per record. Thread-safe: any number of
/// sends may run at once over the one Confluent producer the sender owns.
/// </summary>
/// <remarks>
/// <para>
/// Backpressure: each send stream has at most <see cref="SenderOptions{TKey, TValue}.MaxInFlight"/> records handed to
/// the producer whose result has not yet been delivered downstream. A faster source waits: the observable API holds
/// the source's <c>OnNext</c> (blocks the producing thread; never the thread that called <c>Subscribe</c> for long,
/// see <see cref="Send{TCorrelation}"/>), the async API awaits. librdkafka's full local queue
/// (<see cref="ErrorCode.Local_QueueFull"/>) is waited out and retried, never reported as an error.
/// </para>
/// <para>
/// Results: one per record, in the order delivery reports arrive, which within a partition is the send order; the
/// record's correlation metadata comes back untouched. Errors follow <see cref="SenderOptions{TKey, TValue}.StopOnError"/>.
/// A stream completes (or fails with its source's error) only after every record in flight has its result.
/// </para>
/// <para>
/// Disposing the sender stops every running stream from taking records, waits up to
/// <see cref="SenderOptions{TKey, TValue}.CloseTimeout"/> for the records in flight, fails those still
/// unacknowledged, and closes the producer; any later call throws <see cref="ObjectDisposedException"/>.
/// </para>
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// var options = new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:9092" })
/// {
///     MaxInFlight = 512,
/// };
/// await using var sender = KafkaSender.Create(options);
///
/// // Observable: cold; subscribing starts sending, disposing the subscription stops taking records.
/// var orders = Observable.Range(1, 100)
///     .Select(i => new SenderRecord<string, string, int>("orders", $"order-{i}", $"{{\"id\":{i}}}", i));
/// await sender.Send(orders).Do(r => Console.WriteLine($"#{r.Correlation} -> {r.TopicPartitionOffset}"));
///
/// // Async: one record, or a whole async stream.
/// var one = await sender.SendAsync(new SenderRecord<string, string, Guid>("orders", "k", "v", Guid.NewGuid()));
/// await foreach (var result in sender.SendAsync(ReadRecordsAsync(), cancellationToken)) { /* ... */ }
///
/// // Sequences one after the other; completes when all are acknowledged, fails on the first error.
/// await sender.CreateOutbound().Send(orders).Send(moreOrders).Then();
/// ]]></code>
/// </example>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class KafkaSender<TKey, TValue> : IAsyncDisposable, IDisposable
{
    private readonly ProducerCore<TKey, TValue> _core;

    internal KafkaSender(SenderOptions<TKey, TValue> options)
    {
        _core = new ProducerCore<TKey, TValue>(options);
    }

    /// <summary>The options this sender was created with.</summary>
    public SenderOptions<TKey, TValue> Options => _core.Options;

    /// <summary>Records currently admitted by all streams and single sends and not yet settled (diagnostics).</summary>
    internal long InFlightCount => _core.InFlightCount;

    /// <summary>The most records ever in flight at once on this sender (diagnostics, tests).</summary>
    internal long PeakInFlight => _core.PeakInFlight;

    /// <summary>
    /// Sends the records of <paramref name="records"/> and emits one result per record on the options' scheduler.
    /// Cold: each subscription sends the source's records; disposing the subscription stops taking new records
    /// (those already in flight are still delivered by the producer, their results are dropped).
    /// </summary>
    /// <remarks>
    /// While <see cref="SenderOptions{TKey, TValue}.MaxInFlight"/> records are in flight, the source's <c>OnNext</c>
    /// blocks until a permit is free. <c>Subscribe</c> subscribes to the source on a thread of its own and returns as
    /// soon as the source's own <c>Subscribe</c> has returned or the source first waits for a permit, as a Reactor Kafka
    /// subscription returns once the source has used up its demand: a synchronous source (<c>Observable.Range</c>,
    /// <c>ToObservable()</c> of a list) sends up to <c>MaxInFlight</c> records before <c>Subscribe</c> returns and
    /// the rest from that thread; a hot source (a subject, an event) is subscribed to before <c>Subscribe</c> returns,
    /// so nothing it pushes afterwards is missed. With <see cref="SenderOptions{TKey, TValue}.StopOnError"/>
    /// the first failed record ends the sequence with its exception once the records in flight have settled; without
    /// it, failed records are emitted as results carrying their exception. A source error is emitted after the records
    /// in flight have settled.
    /// </remarks>
    /// <typeparam name="TCorrelation">The correlation metadata type.</typeparam>
    /// <param name="records">The records to send.</param>
    /// <returns>The results, one per sent record.</returns>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public IObservable<SenderResult<TCorrelation>> Send<TCorrelation>(IObservable<SenderRecord<TKey, TValue, TCorrelation>> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _core.ThrowIfDisposed();
        var core = _core;
        return Observable.Create<SenderResult<TCorrelation>>(observer =>
            new ObservableSendPipeline<TKey, TValue, TCorrelation>(core, observer).Run(records));
    }

    /// <summary>
    /// Sends the records of <paramref name="records"/> and returns one result per record as they are acknowledged.
    /// The source is read by a background pump that awaits a permit per record; enumeration starts the sending,
    /// and leaving the enumeration (or canceling <paramref name="cancellationToken"/>) stops taking records.
    /// </summary>
    /// <remarks>
    /// A record's permit is released when the consumer asks for the next result. With
    /// <see cref="SenderOptions{TKey, TValue}.StopOnError"/> the first failed record makes the enumeration throw its
    /// exception once the records in flight have settled; a source exception is thrown the same way.
    /// </remarks>
    /// <typeparam name="TCorrelation">The correlation metadata type.</typeparam>
    /// <param name="records">The records to send.</param>
    /// <param name="cancellationToken">Stops the sending; the enumeration then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The results, one per sent record.</returns>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public IAsyncEnumerable<SenderResult<TCorrelation>> SendAsync<TCorrelation>(
        IAsyncEnumerable<SenderRecord<TKey, TValue, TCorrelation>> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        _core.ThrowIfDisposed();
        return new AsyncSendPipeline<TKey, TValue, TCorrelation>(_core).RunAsync(records, cancellationToken);
    }

    /// <summary>
    /// Sends one record and completes with its result once the broker acknowledged it (or it failed).
    /// </summary>
    /// <remarks>
    /// Single sends are not bounded by <see cref="SenderOptions{TKey, TValue}.MaxInFlight"/>: each call is one record and
    /// the caller decides how many run at once. A failure is thrown when
    /// <see cref="SenderOptions{TKey, TValue}.StopOnError"/> is true, and returned as a result carrying the exception
    /// when it is false. Canceling stops waiting; a record already handed to the producer may still be written.
    /// </remarks>
    /// <typeparam name="TCorrelation">The correlation metadata type.</typeparam>
    /// <param name="record">The record to send.</param>
    /// <param name="cancellationToken">Stops waiting for the result.</param>
    /// <returns>The record's result.</returns>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    /// <exception cref="ProduceException{TKey, TValue}">The record failed and StopOnError is true.</exception>
    public Task<SenderResult<TCorrelation>> SendAsync<TCorrelation>(
        SenderRecord<TKey, TValue, TCorrelation> record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        _core.ThrowIfDisposed();
        var completion = new SingleSendCompletion<TKey, TValue, TCorrelation>(_core);
        _core.Admitted();
        if (Options.HasAsyncSerializer)
        {
            return SerializeThenSendAsync(record, completion, cancellationToken);
        }

        var entry = _core.Prepare(record, completion, pool: null, out var message);
        if (!_core.TryProduce(entry, message))
        {
            return RetryThenAwaitAsync(entry, message, completion, cancellationToken);
        }

        return completion.Task.IsCompleted && !cancellationToken.IsCancellationRequested
            ? Completed(completion.Task.Result)
            : AwaitAsync(completion.Task, cancellationToken);
    }

    /// <summary>
    /// Starts a chain of sends that run one after the other:
    /// <c>sender.CreateOutbound().Send(first).Send(second).Then()</c>.
    /// </summary>
    /// <returns>An empty outbound chain of this sender.</returns>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public KafkaOutbound<TKey, TValue> CreateOutbound()
    {
        _core.ThrowIfDisposed();
        return new KafkaOutbound<TKey, TValue>(this, []);
    }

    /// <summary>
    /// The sender's transactions: begin, add consumed offsets, commit, abort (see <see cref="KafkaTransactionManager"/>).
    /// Records sent by this sender while a transaction is open belong to it, whichever API sends them
    /// (<see cref="Send{TCorrelation}"/>, <see cref="SendAsync{TCorrelation}(SenderRecord{TKey, TValue, TCorrelation}, CancellationToken)"/>,
    /// <see cref="CreateOutbound"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The sender is not transactional: <see cref="SenderOptions{TKey, TValue}.TransactionalId"/> is not set.</exception>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public KafkaTransactionManager TransactionManager
    {
        get
        {
            _core.ThrowIfDisposed();
            return _core.Transactions ?? throw NotTransactional(nameof(TransactionManager));
        }
    }

    /// <summary>
    /// Sends each inner sequence of records in a transaction of its own, one transaction after the other, and emits one
    /// inner result sequence per transaction: each record's result, then completion once the transaction is committed.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A transaction opens when its inner source is taken (<see cref="KafkaTransactionManager.IsInTransaction"/>), is begun
    /// in the producer before its first record is sent or its first offsets are added, and commits when the source
    /// completes and every record is acknowledged. A source that completes with neither records nor offsets (a batch of
    /// <see cref="KafkaReceiver{TKey, TValue}.ReceiveExactlyOnce"/> polled before an abort) makes no begin and no commit
    /// call: its result sequence just completes empty. So send a transaction's records through its inner source, not by
    /// another call of the sender from inside it (the producer may not be in the transaction yet). It aborts when the source fails, a record fails, or the commit fails with an abortable error:
    /// its result sequence then ends with that error (nothing of the transaction is visible to read_committed consumers)
    /// and the next transaction goes on. Fencing (<see cref="ErrorCode.ProducerFenced"/>: a newer sender with the same
    /// transactional id exists) and other fatal errors end the transaction's result sequence and the outer sequence with
    /// the error. Results of a transaction are kept until its inner sequence is subscribed to. Disposing the subscription
    /// stops taking sources and aborts the running transaction.
    /// </para>
    /// <para>
    /// With <see cref="KafkaReceiver{TKey, TValue}.ReceiveExactlyOnce"/> this is consume-transform-produce exactly once:
    /// <c>sender.SendTransactionally(receiver.ReceiveExactlyOnce(sender.TransactionManager).Select(batch => batch.Select(Transform)))</c>;
    /// each batch's consumed offsets are added to its transaction before the batch completes.
    /// </para>
    /// </remarks>
    /// <typeparam name="TCorrelation">The correlation metadata type.</typeparam>
    /// <param name="transactions">One inner sequence of records per transaction.</param>
    /// <returns>One inner result sequence per transaction.</returns>
    /// <exception cref="InvalidOperationException">The sender is not transactional: <see cref="SenderOptions{TKey, TValue}.TransactionalId"/> is not set.</exception>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public IObservable<IObservable<SenderResult<TCorrelation>>> SendTransactionally<TCorrelation>(
        IObservable<IObservable<SenderRecord<TKey, TValue, TCorrelation>>> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        _core.ThrowIfDisposed();
        var manager = _core.Transactions ?? throw NotTransactional(nameof(SendTransactionally));
        return TransactionalSend.Create(this, manager, transactions);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the underlying Confluent producer (typed with this sender's serializers and
    /// sharing its librdkafka handle), e.g. to read metadata, flush, or produce outside the reactive API.
    /// Do not dispose the producer: the sender owns it.
    /// </summary>
    /// <typeparam name="T">What the action returns.</typeparam>
    /// <param name="action">The action on the producer.</param>
    /// <returns>What <paramref name="action"/> returned.</returns>
    /// <exception cref="ObjectDisposedException">The sender has been disposed.</exception>
    public T DoOnProducer<T>(Func<IProducer<TKey, TValue>, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return action(_core.TypedProducer);
    }

    /// <summary>
    /// Closes the sender: running sends stop taking records, records in flight get up to
    /// <see cref="SenderOptions{TKey, TValue}.CloseTimeout"/> to be acknowledged, those left are failed, and the
    /// producer is closed. Blocks up to the close timeout. Idempotent.
    /// </summary>
    public void Dispose() => _core.Dispose();

    /// <summary>Closes the sender as <see cref="Dispose"/> does, off the calling thread.</summary>
    /// <returns>A task completing when the producer is closed.</returns>
    public ValueTask DisposeAsync() =>
        _core.IsDisposed ? default : new ValueTask(Task.Run(_core.Dispose));

    private Task<SenderResult<TCorrelation>> Completed<TCorrelation>(SenderResult<TCorrelation> result) =>
        result.Exception is { } error && Options.StopOnError
            ? Task.FromException<SenderResult<TCorrelation>>(error)
            : Task.FromResult(result);

    private static InvalidOperationException NotTransactional(string call) =>
        new($"KafkaSender.{call} needs a transactional sender: set SenderOptions.TransactionalId (the producer's transactional.id).");

    private async Task<SenderResult<TCorrelation>> AwaitAsync<TCorrelation>(
        Task<SenderResult<TCorrelation>> completion, CancellationToken cancellationToken)
    {
        var result = await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        return result.Exception is { } error && Options.StopOnError ? throw error : result;
    }

    private async Task<SenderResult<TCorrelation>> SerializeThenSendAsync<TCorrelation>(
        SenderRecord<TKey, TValue, TCorrelation> record,
        SingleSendCompletion<TKey, TValue, TCorrelation> completion,
        CancellationToken cancellationToken)
    {
        var (entry, message) = await _core.PrepareAsync(record, completion).ConfigureAwait(false);
        return _core.TryProduce(entry, message)
            ? await AwaitAsync(completion.Task, cancellationToken).ConfigureAwait(false)
            : await RetryThenAwaitAsync(entry, message, completion, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SenderResult<TCorrelation>> RetryThenAwaitAsync<TCorrelation>(
        InFlightRecord<TKey, TValue, TCorrelation> entry,
        SerializedMessage message,
        SingleSendCompletion<TKey, TValue, TCorrelation> completion,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _core.Closing);
        do
        {
            try
            {
                await Task.Delay(1, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                entry.FailNotSent();
                break;
            }
        }
        while (!_core.TryProduce(entry, message));

        return await AwaitAsync(completion.Task, cancellationToken).ConfigureAwait(false);
    }
}
