using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// Receives records from Kafka as <see cref="IObservable{T}"/> or <see cref="IAsyncEnumerable{T}"/> sequences, with
/// backpressure, acknowledgement-based commits and clean rebalances.
/// </summary>
/// <remarks>
/// <para>
/// Each sequence is cold: subscribing builds a Confluent consumer owned by one dedicated loop thread (polls,
/// pause/resume, seeks and commits all happen there), subscribes or assigns, and starts polling. Disposing the
/// subscription (or leaving or canceling the async enumeration) stops it at once: nothing is emitted (or yielded) after
/// the end is seen, records taken but not emitted are never acknowledged (the partition's next reader reads them), and
/// it returns once the loop has stopped and committed the acknowledged offsets (about one
/// <see cref="ReceiverOptions{TKey, TValue}.PollTimeout"/> plus the commit, at most
/// <see cref="ReceiverOptions{TKey, TValue}.CloseTimeout"/>) and the consumer has left the group and been released,
/// which takes milliseconds; but it waits at most one more poll timeout for that: librdkafka's close waits for a group
/// join in flight (seconds during a rebalance), and then the close finishes in the background
/// (<see cref="WhenReleasedAsync"/> awaits it). A receiver runs one subscription at a time: a later one waits for the
/// previous consumer's release, a second concurrent one fails with <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Commits never run ahead of processing: a partition's committed offset advances only over a contiguous run of
/// acknowledged records, whatever order acknowledgements arrive in. On revocation the revoked partitions' acknowledged
/// offsets are committed before they move, their buffered records are dropped, and acknowledgements that arrive later
/// are ignored. Memory is bounded by <see cref="ReceiverOptions{TKey, TValue}.BufferSize"/>,
/// <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/> and <see cref="ReceiverOptions{TKey, TValue}.MaxDeferredCommits"/>,
/// never by the topic: at a bound the assigned partitions are paused while polling continues.
/// </para>
/// <para>
/// A sequence ends with an error when a record cannot be deserialized (a <see cref="ConsumeException"/> naming the topic,
/// partition and offset), when a commit fails for good, on a fatal client error, or when a listener throws. Broker
/// unavailability does not end it while librdkafka keeps retrying.
/// </para>
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// var options = new ReceiverOptions<string, string>(new ConsumerConfig
/// {
///     BootstrapServers = "127.0.0.1:9092",
///     GroupId = "billing",
///     AutoOffsetReset = AutoOffsetReset.Earliest,
/// }) { Topics = ["orders"], CommitInterval = TimeSpan.FromSeconds(1) };
/// var receiver = KafkaReceiver.Create(options);
///
/// using var subscription = receiver.Receive()
///     .Subscribe(record => { Handle(record.Value); record.Offset.Acknowledge(); });
///
/// await foreach (var record in receiver.ReceiveAsync(cancellationToken)) // (after the subscription above ends)
/// {
///     await HandleAsync(record.Value);
///     record.Offset.Acknowledge();
/// }
/// ]]></code>
/// </example>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed partial class KafkaReceiver<TKey, TValue>
{
    private readonly ReceiverCounters _counters = new();
    private ConsumerLoop<TKey, TValue>? _active;
    private ConsumerLoop<TKey, TValue>? _last;

    internal KafkaReceiver(ReceiverOptions<TKey, TValue> options)
    {
        Options = options;
    }

    /// <summary>The options this receiver was created with.</summary>
    public ReceiverOptions<TKey, TValue> Options { get; }

    /// <summary>
    /// The receiver's counts now: the running subscription's buffered, unacknowledged and deferred records and its
    /// assigned and paused partitions (zero while no subscription runs), and, over the receiver's lifetime, the
    /// partitions lost and the acknowledgements dropped because their partition was no longer owned. Cheap: read
    /// without stopping the consumer loop, from any thread.
    /// </summary>
    public ReceiverStatistics Statistics
    {
        get
        {
            if (Volatile.Read(ref _active) is { } loop)
            {
                return loop.Statistics();
            }

            return new ReceiverStatistics(0, 0, 0, 0, 0, _counters.PartitionsLost, _counters.AcknowledgementsDropped, ClientErrors: _counters.ClientErrors, LastClientError: _counters.LastClientError);
        }
    }

    /// <summary>
    /// Completes when the consumer of the receiver's last subscription has left the group and been released (at once
    /// when no subscription ever ran). A subscription's end waits for that only briefly (see the class remarks): await
    /// this before stopping the process or the broker, so that the group is left cleanly and the partitions move at
    /// once instead of after the session timeout.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing when the consumer is released.</returns>
    public Task WhenReleasedAsync(CancellationToken cancellationToken = default) =>
        (Volatile.Read(ref _last)?.Finished ?? Task.CompletedTask).WaitAsync(cancellationToken);

    /// <summary>The loop of the running (or last) subscription (diagnostics, tests).</summary>
    internal ConsumerLoop<TKey, TValue>? Loop => Volatile.Read(ref _last);

    /// <summary>
    /// Receives records one by one, on <see cref="ReceiverOptions{TKey, TValue}.Scheduler"/>. Acknowledge each record's
    /// <see cref="ReceiverRecord{TKey, TValue}.Offset"/> once processed; unacknowledged records count against
    /// <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>.
    /// </summary>
    /// <returns>The records; the sequence never completes on its own.</returns>
    public IObservable<ReceiverRecord<TKey, TValue>> Receive() =>
        Observable.Create<ReceiverRecord<TKey, TValue>>(observer =>
        {
            var sink = new RecordSink<TKey, TValue, ReceiverRecord<TKey, TValue>>(observer, static r => r, Options.Scheduler, tracksAcknowledgements: true);
            return Run(sink, sink.Bind, sink.Stop, atMostOnce: false);
        });

    /// <summary>
    /// Receives records as an async stream. Leaving the enumeration or canceling <paramref name="cancellationToken"/>
    /// ends it once the acknowledged offsets are committed and the consumer released (awaited, the release only briefly:
    /// see the class remarks).
    /// </summary>
    /// <param name="cancellationToken">
    /// Ends the enumeration with <see cref="OperationCanceledException"/>: it is checked before every record, so nothing
    /// is yielded once it is canceled (records already taken are not acknowledged and are read again by the partition's
    /// next reader), and an idle enumeration ends within about <see cref="ReceiverOptions{TKey, TValue}.PollTimeout"/>.
    /// </param>
    /// <returns>The records.</returns>
    /// <exception cref="InvalidOperationException">Another subscription of this receiver is running (thrown by the enumeration).</exception>
    public async IAsyncEnumerable<ReceiverRecord<TKey, TValue>> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sink = new ChannelSink<TKey, TValue>();
        var loop = Activate(sink, atMostOnce: false);
        loop.Start();
        try
        {
            var reader = sink.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var records))
                {
                    for (var i = 0; i < records.Count; i++)
                    {
                        // Checked before every record, not only while waiting: nothing is yielded once the cancellation
                        // is seen, and what was taken but not yielded is never acknowledged (the next owner reads it).
                        cancellationToken.ThrowIfCancellationRequested();
                        loop.Buffer.Remove();
                        var record = records[i];
                        if (!record.Offset.Partition!.WithdrawsBufferedRecords)
                        {
                            yield return record;
                        }
                    }
                }
            }
        }
        finally
        {
            await loop.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Receives each poll's records as one inner sequence of Confluent results; its records are acknowledged when the
    /// inner sequence completes (when its subscriber has taken them all). Subscribe to each inner sequence: those never
    /// subscribed to are never acknowledged (and eventually stop the receiver at its bounds). An inner sequence disposed
    /// before it completes (a <c>Take</c>) acknowledges none of its records, and one still running when the receive
    /// subscription ends completes without the rest: those records are read again (by the partition's next owner or
    /// the next subscription); until then they count against the bounds and hold their partition's commits back, as
    /// any unacknowledged record does. Inner sequences subscribed to on the
    /// emitting thread (<c>Concat</c>, <c>SelectMany</c>, <c>Merge</c> straight on this sequence) emit right after
    /// their <c>Subscribe</c> returns, so a <c>Take</c> inside them is seen at once; subscribed to elsewhere, they emit
    /// within <c>Subscribe</c> (Rx's rule for synchronous sources) and a disposal is seen only at the end.
    /// </summary>
    /// <returns>One inner sequence per poll.</returns>
    public IObservable<IObservable<ConsumeResult<TKey, TValue>>> ReceiveAutoAck() =>
        Observable.Create<IObservable<ConsumeResult<TKey, TValue>>>(observer =>
        {
            BatchSink<TKey, TValue, IObservable<ConsumeResult<TKey, TValue>>>? sink = null;
            sink = new BatchSink<TKey, TValue, IObservable<ConsumeResult<TKey, TValue>>>(
                observer, records => new AutoAckBatch<TKey, TValue>(records, () => sink!.IsStopped), Options.Scheduler, onTrampoline: true);
            return Run(sink, sink.Bind, sink.Stop, atMostOnce: false);
        });

    /// <summary>
    /// Receives records at most once: each record's offset is committed before the record is emitted, so a crash never
    /// delivers it again (it may lose it). With <see cref="ReceiverOptions{TKey, TValue}.AtMostOnceCommitAheadSize"/> a
    /// commit reaches further ahead, so that most records need no commit of their own.
    /// </summary>
    /// <returns>The records, already committed.</returns>
    public IObservable<ConsumeResult<TKey, TValue>> ReceiveAtMostOnce() =>
        Observable.Create<ConsumeResult<TKey, TValue>>(observer =>
        {
            var sink = new RecordSink<TKey, TValue, ConsumeResult<TKey, TValue>>(observer, static r => r.ConsumeResult, Options.Scheduler, tracksAcknowledgements: false);
            return Run(sink, sink.Bind, sink.Stop, atMostOnce: true);
        });

    /// <summary>
    /// Receives each poll's records as one list, for bulk processing. Acknowledge the records (all, or each) once
    /// processed.
    /// </summary>
    /// <returns>One non-empty list per poll.</returns>
    public IObservable<IReadOnlyList<ReceiverRecord<TKey, TValue>>> ReceiveBatch() =>
        Observable.Create<IReadOnlyList<ReceiverRecord<TKey, TValue>>>(observer =>
        {
            var sink = new BatchSink<TKey, TValue, IReadOnlyList<ReceiverRecord<TKey, TValue>>>(observer, static records => records, Options.Scheduler);
            return Run(sink, sink.Bind, sink.Stop, atMostOnce: false);
        });

    /// <summary>
    /// Receives one ordered inner sequence per assigned partition, emitted when the partition is assigned and completed
    /// when it is revoked (its records not yet emitted are dropped; the next owner reads them). Inner sequences emit
    /// independently of each other on the scheduler, so partitions can be processed in parallel while each stays in
    /// order. Subscribe to each inner sequence once; its records wait for the subscription. Disposing the outer
    /// subscription ends every inner one too, also those subscribed to on their own.
    /// </summary>
    /// <returns>One inner sequence per partition assignment, keyed by the partition.</returns>
    public IObservable<IGroupedObservable<TopicPartition, ReceiverRecord<TKey, TValue>>> ReceivePerPartition() =>
        Observable.Create<IGroupedObservable<TopicPartition, ReceiverRecord<TKey, TValue>>>(observer =>
        {
            var sink = new PerPartitionSink<TKey, TValue>(observer, Options.Scheduler);
            return Run(sink, sink.Bind, sink.Stop, atMostOnce: false);
        });

    /// <summary>
    /// Runs <paramref name="action"/> on the running subscription's consumer, on the loop thread that owns it, between
    /// polls (within about <see cref="ReceiverOptions{TKey, TValue}.PollTimeout"/>). Use it for metadata, positions,
    /// watermarks or seeks. Do not consume, commit, close, subscribe or assign through it, and pause with
    /// <see cref="PauseAsync"/> (the loop recomputes paused partitions after every poll); keep it short: polling waits.
    /// </summary>
    /// <typeparam name="T">What the action returns.</typeparam>
    /// <param name="action">The action on the consumer.</param>
    /// <returns>A task with what <paramref name="action"/> returned, or its exception; it fails with
    /// <see cref="InvalidOperationException"/> when no subscription is running.</returns>
    public Task<T> DoOnConsumer<T>(Func<IConsumer<TKey, TValue>, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var loop = Volatile.Read(ref _active);
        if (loop is null)
        {
            return Task.FromException<T>(NotSubscribed());
        }

        var work = new ConsumerAction<TKey, TValue, T>(action);
        loop.Post(work);
        return work.Task;
    }

    /// <summary>
    /// Pauses <paramref name="partitions"/> until <see cref="ResumeAsync"/>, across rebalances (a partition paused by the
    /// user stays paused when it is assigned again). Backpressure never resumes it.
    /// </summary>
    /// <param name="partitions">The partitions to pause.</param>
    /// <returns>A task completing once the loop has applied it; it fails when no subscription is running.</returns>
    public Task PauseAsync(IEnumerable<TopicPartition> partitions) => SetUserPause(partitions, pause: true);

    /// <summary>Resumes partitions paused by <see cref="PauseAsync"/> (unless backpressure or a commit retry holds them).</summary>
    /// <param name="partitions">The partitions to resume.</param>
    /// <returns>A task completing once the loop has applied it; it fails when no subscription is running.</returns>
    public Task ResumeAsync(IEnumerable<TopicPartition> partitions) => SetUserPause(partitions, pause: false);

    private Task SetUserPause(IEnumerable<TopicPartition> partitions, bool pause)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var loop = Volatile.Read(ref _active);
        if (loop is null)
        {
            return Task.FromException(NotSubscribed());
        }

        var work = new UserPause<TKey, TValue>(partitions.ToList(), pause);
        loop.Post(work);
        return work.Task;
    }

    private IDisposable Run(
        IRecordSink<TKey, TValue> sink, Action<BufferCounter> bind, Action stop, bool atMostOnce,
        ExactlyOnceCoordinator<TKey, TValue>? exactlyOnce = null, Action<ConsumerLoop<TKey, TValue>>? created = null)
    {
        var loop = Activate(sink, atMostOnce, exactlyOnce);
        created?.Invoke(loop);
        bind(loop.Buffer);
        loop.Start();
        return Disposable.Create(() =>
        {
            stop();
            loop.Close();
        });
    }

    private ConsumerLoop<TKey, TValue> Activate(IRecordSink<TKey, TValue> sink, bool atMostOnce, ExactlyOnceCoordinator<TKey, TValue>? exactlyOnce = null)
    {
        // The previous subscription may be closing (its disposal returned, or the close timed out), or about to be
        // disposed (an operator like Take disposes it only after its downstream saw completion, possibly after this
        // call). The new loop waits for it on its own thread, briefly for the disposal and then for the release of its
        // consumer; a previous subscription still running after that makes this one fail as concurrent.
        var previous = Volatile.Read(ref _active);
        while (true)
        {
            var loop = new ConsumerLoop<TKey, TValue>(Options, sink, atMostOnce, Released, previous, _counters) { ExactlyOnce = exactlyOnce };
            var replaced = Interlocked.CompareExchange(ref _active, loop, previous);
            if (replaced == previous)
            {
                Volatile.Write(ref _last, loop);
                return loop;
            }

            previous = replaced;
        }
    }

    private void Released(ConsumerLoop<TKey, TValue> loop)
    {
        // A loop rejected as concurrent hands the receiver back to the subscription it found running.
        var restore = loop.Previous is { Finished.IsCompleted: false } previous && loop.Rejected ? previous : null;
        Interlocked.CompareExchange(ref _active, restore, loop);
    }

    internal static InvalidOperationException AlreadySubscribed() =>
        new("This KafkaReceiver already has an active subscription: a receiver owns one consumer at a time. Dispose the running subscription first, or create another receiver (with the same group.id to share the partitions).");

    private static InvalidOperationException NotSubscribed() =>
        new("This KafkaReceiver has no active subscription: the consumer exists only while a Receive sequence is subscribed to.");
}
