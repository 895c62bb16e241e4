using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// The one owner of a subscription's Confluent consumer: a dedicated thread that builds the consumer, subscribes (or
/// assigns), polls, pauses and resumes, seeks, commits, runs <see cref="LoopWork{TKey, TValue}"/> items and finally
/// closes and disposes the consumer. Nothing else touches the consumer. The loop never waits for the subscriber:
/// records go to an <see cref="IRecordSink{TKey, TValue}"/>, and when the bounds are reached the partitions are paused
/// while polling goes on (heartbeats and <c>max.poll.interval.ms</c> stay healthy).
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="IAcknowledgementSink.Acknowledged"/>, <see cref="IAcknowledgementSink.CommitRequested"/>, <see cref="Post"/> and <see cref="Close"/>
/// may be called from any thread (they enqueue); everything else runs on the loop thread. Partial files: polling and
/// pausing (<c>.Poll</c>), commits (<c>.Commit</c>), rebalance callbacks (<c>.Rebalance</c>).
/// </remarks>
internal sealed partial class ConsumerLoop<TKey, TValue> : IAcknowledgementSink, IPartitionQueries
{
    private readonly ReceiverOptions<TKey, TValue> _options;
    private readonly ILogger _logger;
    private readonly ILogger _clientLogger;
    private readonly string _group;
    private readonly IRecordSink<TKey, TValue> _sink;
    private readonly bool _tracking;
    private readonly bool _atMostOnce;
    private readonly ConcurrentQueue<ReceiverOffset> _acknowledgements = new();
    private readonly ConcurrentQueue<LoopWork<TKey, TValue>> _work = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<TopicPartition, PartitionState> _assigned = [];
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _wake = new();
    private readonly long _holdBeforePauseTicks;
    private IConsumer<TKey, TValue>? _consumer;
    private volatile bool _closeRequested;

    /// <summary>
    /// Set just before <c>Consumer.Close()</c>, which revokes the assignment from inside itself: the revocation then
    /// commits nothing, because the offsets were committed just before and a synchronous commit made from that callback
    /// can block the closing thread for good in librdkafka (seen with cooperative-sticky during a rebalance).
    /// </summary>
    private bool _closingConsumer;
    private Exception? _failure;
    private long _clientErrors;
    private long _assignments;
    private long _revocations;
    private int _peakUnacknowledged;

    private readonly Action<ConsumerLoop<TKey, TValue>> _released;
    private readonly ReceiverCounters _counters;
    private volatile int _assignedCount;
    private volatile int _pausedCount;

    /// <summary>How long a new subscription waits for the running one to be disposed before failing as concurrent.</summary>
    private static readonly TimeSpan DisposalGrace = TimeSpan.FromSeconds(1);

    public ConsumerLoop(
        ReceiverOptions<TKey, TValue> options,
        IRecordSink<TKey, TValue> sink,
        bool atMostOnce,
        Action<ConsumerLoop<TKey, TValue>> released,
        ConsumerLoop<TKey, TValue>? previous,
        ReceiverCounters counters)
    {
        Previous = previous;
        _counters = counters;
        _released = released;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger(KafkaDiagnostics.ReceiverCategory);
        _clientLogger = options.LoggerFactory.CreateLogger(KafkaDiagnostics.LibrdkafkaCategory);
        _group = options.ConsumerProperties["group.id"];
        _sink = sink;
        _atMostOnce = atMostOnce;
        _tracking = sink.TracksAcknowledgements && !atMostOnce;
        Buffer = new BufferCounter(options.BufferSize / 2, () => _wake.Set());
        var hold = HoldBeforePause;
        if (options.ConsumerProperties.TryGetValue("max.poll.interval.ms", out var maxPoll) && int.TryParse(maxPoll, out var maxPollMs))
        {
            hold = TimeSpan.FromMilliseconds(Math.Min(hold.TotalMilliseconds, maxPollMs / 4.0));
        }

        _holdBeforePauseTicks = (long)(hold.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "ReactiveKafka receiver " + options.ConsumerProperties["group.id"],
        };
    }

    /// <summary>Records handed to the sink and not yet emitted.</summary>
    public BufferCounter Buffer { get; }

    /// <summary>
    /// How long a reached bound only holds the loop (no records taken, partitions not paused) before the partitions are
    /// paused: one second, or a quarter of <c>max.poll.interval.ms</c> when that is less.
    /// </summary>
    public static TimeSpan HoldBeforePause { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Completes when the consumer is closed and released.</summary>
    public Task Finished => _finished.Task;

    /// <summary>
    /// Completes when the loop has stopped taking records and committed the acknowledged offsets on its way out; the
    /// consumer may still be leaving the group (<see cref="Finished"/>).
    /// </summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The consumer (loop thread only).</summary>
    public IConsumer<TKey, TValue> Consumer => _consumer ?? throw new InvalidOperationException("The consumer is not built yet.");

    /// <summary>The most records ever polled and not yet acknowledged at once (diagnostics).</summary>
    public int PeakUnacknowledged => Volatile.Read(ref _peakUnacknowledged);

    /// <summary>Non-fatal client errors reported by librdkafka (diagnostics).</summary>
    public long ClientErrors => Interlocked.Read(ref _clientErrors);

    /// <summary>Assignments received (diagnostics).</summary>
    public long Assignments => Interlocked.Read(ref _assignments);

    /// <summary>Revocations and losses received (diagnostics).</summary>
    public long Revocations => Interlocked.Read(ref _revocations);

    /// <inheritdoc/>
    public bool OnLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>The subscription that was running when this one started, or null.</summary>
    public ConsumerLoop<TKey, TValue>? Previous { get; private set; }

    /// <summary>True when this subscription failed because <see cref="Previous"/> kept running.</summary>
    public bool Rejected { get; private set; }

    /// <summary>True once the subscription asked the loop to close.</summary>
    public bool IsClosing => _closeRequested || _finished.Task.IsCompleted;

    /// <summary>Starts the loop thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>Queues work for the loop; abandons it when the loop has ended.</summary>
    public void Post(LoopWork<TKey, TValue> work)
    {
        _work.Enqueue(work);
        _wake.Set();
        if (_finished.Task.IsCompleted)
        {
            AbandonWork();
        }
    }

    /// <summary>
    /// Asks the loop to commit acknowledged offsets, leave the group and release the consumer, and waits (never on the
    /// loop thread itself) until it has stopped and committed, up to <see cref="ReceiverOptions{TKey, TValue}.CloseTimeout"/>
    /// (about one <see cref="ReceiverOptions{TKey, TValue}.PollTimeout"/> plus the commit's round trip), then up to one
    /// more poll timeout for the consumer's close (a few milliseconds, unless librdkafka's close waits for a group join
    /// in flight: seconds during a rebalance). A close still running then finishes in the background; the receiver's
    /// next subscription waits for it (<see cref="Finished"/>).
    /// </summary>
    public void Close()
    {
        _closeRequested = true;
        _wake.Set();
        if (!OnLoopThread && _thread.IsAlive && _stopped.Task.Wait(_options.CloseTimeout))
        {
            _finished.Task.Wait(_options.PollTimeout);
        }
    }

    /// <summary>As <see cref="Close"/>, awaiting instead of blocking.</summary>
    public async Task CloseAsync()
    {
        _closeRequested = true;
        _wake.Set();
        if (OnLoopThread)
        {
            return;
        }

        if (await Completes(_stopped.Task, _options.CloseTimeout).ConfigureAwait(false))
        {
            await Completes(_finished.Task, _options.PollTimeout).ConfigureAwait(false);
        }
    }

    private static async Task<bool> Completes(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    void IAcknowledgementSink.Acknowledged(ReceiverOffset offset)
    {
        _acknowledgements.Enqueue(offset);
        if (_holding || _awaitingAcknowledgements)
        {
            _wake.Set();
        }
    }

    void IAcknowledgementSink.AcknowledgementDropped() => _counters.AcknowledgementDropped();

    /// <summary>The running subscription's gauges with the receiver's counters (any thread).</summary>
    public ReceiverStatistics Statistics() => new(
        Buffer.Count,
        Volatile.Read(ref _unacknowledged),
        Volatile.Read(ref _deferred),
        _assignedCount,
        _pausedCount,
        _counters.PartitionsLost,
        _counters.AcknowledgementsDropped,
        Volatile.Read(ref _totalLag),
        BackpressurePause,
        _counters.ClientErrors,
        _counters.LastClientError);

    void IAcknowledgementSink.CommitRequested(ReceiverOffset offset, TaskCompletionSource completion) =>
        Post(new CommitRequest<TKey, TValue>(offset, completion));

    private void Run()
    {
        try
        {
            WaitForPrevious();
            _consumer = Build();
            if (KafkaDiagnostics.IsSupported)
            {
                KafkaMetrics.Register(this);
            }

            StartReading();
            while (!_closeRequested && _failure is null)
            {
                ProcessInbox();
                if (_failure is not null)
                {
                    break;
                }

                CommitIfDue();
                if (_failure is not null)
                {
                    break;
                }

                ApplyPauses();
                if (HoldingWithoutPause)
                {
                    WaitForRoom();
                    continue;
                }

                Poll();
                SampleLagIfDue();
            }
        }
        catch (Exception error)
        {
            _failure ??= error;
        }

        Shutdown();
    }

    /// <summary>One consumer per receiver at a time: waits for the previous subscription to close and release its consumer.</summary>
    private void WaitForPrevious()
    {
        if (Previous is not { } previous)
        {
            return;
        }

        var deadline = After(DisposalGrace);
        while (!previous.IsClosing && Now < deadline && !_closeRequested)
        {
            Thread.Sleep(5); // not yet the owner of a consumer: nothing to keep alive
        }

        if (!previous.IsClosing)
        {
            Rejected = true;
            throw KafkaReceiver<TKey, TValue>.AlreadySubscribed();
        }

        previous.Finished.Wait(_options.CloseTimeout);
        Previous = null;
    }

    private IConsumer<TKey, TValue> Build()
    {
        var properties = new Dictionary<string, string>(_options.ConsumerProperties)
        {
            ["enable.auto.commit"] = "false",
            ["enable.auto.offset.store"] = "false",
        };

        // librdkafka stops fetching for fetch.queue.backoff.ms (1000 ms by default) whenever its local queue passes
        // queued.min.messages, and after every resume; measured, that capped a consumer at ~200k records/s and stalled
        // each resume for a second. The receiver bounds memory with its own options, so it only needs the queue
        // refilled promptly. A value the user set wins.
        properties.TryAdd("fetch.queue.backoff.ms", "10");
        if (ExactlyOnce is not null)
        {
            // An exactly-once pipeline reads only committed transactions (librdkafka's default too, unlike Java's).
            properties.TryAdd("isolation.level", "read_committed");
        }

        var builder = new ConsumerBuilder<TKey, TValue>(properties)
            .SetKeyDeserializer(_options.KeyDeserializer)
            .SetValueDeserializer(_options.ValueDeserializer)
            .SetErrorHandler(OnClientError)
            .SetLogHandler((_, message) => ClientLog.Forward(_clientLogger, message)); // else librdkafka writes raw to stderr
        if (_options.Assignment is null)
        {
            builder.SetPartitionsAssignedHandler(OnAssigned)
                .SetPartitionsRevokedHandler(OnRevoked)
                .SetPartitionsLostHandler(OnLost);
        }

        return builder.Build();
    }

    private void StartReading()
    {
        if (_options.Topics is { } topics)
        {
            _consumer!.Subscribe(topics);
        }
        else if (_options.TopicPattern is { } pattern)
        {
            _consumer!.Subscribe(pattern);
        }
        else
        {
            var partitions = _options.Assignment!.Select(p => p.TopicPartition).ToList();
            var start = Assign(partitions, _options.Assignment!.ToDictionary(p => p.TopicPartition, p => p.Offset));
            _consumer!.Assign(start);
        }
    }

    private void OnClientError(IConsumer<TKey, TValue> consumer, Error error)
    {
        ClientLog.ForwardError(_clientLogger, consumer.Name, error);
        if (error.IsFatal)
        {
            _failure ??= new KafkaException(error);
        }
        else
        {
            Interlocked.Increment(ref _clientErrors);
            _counters.ClientError($"{error.Code}: {error.Reason}");
        }
    }

    private void ProcessInbox()
    {
        ProcessAcknowledgements();
        while (_failure is null && _work.TryDequeue(out var work))
        {
            work.Run(this);
        }
    }

    /// <summary>Applies the queued acknowledgements (not the queued work: safe inside a rebalance callback).</summary>
    private void ProcessAcknowledgements()
    {
        PartitionState? run = null;
        var runCount = 0;
        var counting = KafkaDiagnostics.IsSupported && KafkaMetrics.AcknowledgedMessages.Enabled;
        while (_acknowledgements.TryDequeue(out var offset))
        {
            var partition = offset.Partition!;
            if (partition.IsRevoked)
            {
                _counters.AcknowledgementDropped();
                continue;
            }

            var deferredBefore = partition.Tracker.Deferred;
            if (!partition.Tracker.Acknowledge(offset.Value))
            {
                continue;
            }

            _unacknowledged--;
            _deferred += partition.Tracker.Deferred - deferredBefore;
            _acknowledgedSinceCommit++;
            _commitRequested |= partition.CommitWaiters.Count > 0;
            if (counting)
            {
                if (!ReferenceEquals(run, partition) && run is not null)
                {
                    KafkaMetrics.AcknowledgedMessages.Add(runCount, PartitionTags("acknowledge", run));
                    runCount = 0;
                }

                run = partition;
                runCount++;
            }
        }

        if (run is not null)
        {
            KafkaMetrics.AcknowledgedMessages.Add(runCount, PartitionTags("acknowledge", run));
        }
    }

    private void AbandonWork()
    {
        var reason = new InvalidOperationException("The receiver's subscription has ended: the consumer is released.");
        while (_work.TryDequeue(out var work))
        {
            work.Abandon(reason);
        }
    }

    private void Shutdown()
    {
        var consumer = _consumer;
        if (consumer is not null)
        {
            try
            {
                StopCommitting();
                if (MayCommit)
                {
                    ProcessInbox();
                    SettleBeforeRelease([.. _assigned.Values], lost: true); // the subscriber has stopped: nothing more would be acknowledged
                    CommitAcknowledged(_assigned.Values.ToList(), retry: false);
                    if (_options.Assignment is not null && _assigned.Count > 0)
                    {
                        Revoke(_assigned.Values.ToList(), commit: false, lost: false);
                    }
                }
            }
            catch (Exception error)
            {
                _failure ??= error;
            }

            // The subscriber's side may go on now: nothing more is taken, the acknowledged offsets are committed.
            _stopped.TrySetResult();
            try
            {
                _closingConsumer = true;
                consumer.Close();
            }
            catch (Exception error) when (error is KafkaException or ObjectDisposedException)
            {
            }

            consumer.Dispose();
        }

        foreach (var partition in _assigned.Values.ToList())
        {
            EndOwnership(partition, _failure);
        }

        _assigned.Clear();
        if (KafkaDiagnostics.IsSupported)
        {
            KafkaMetrics.Unregister(this);
        }

        _released(this);
        _stopped.TrySetResult();
        _finished.TrySetResult();
        AbandonWork();
        if (_failure is { } failure)
        {
            ReceiverLog.Failed(_logger, failure, _group);
            _sink.Fail(failure);
        }
        else
        {
            _sink.Complete();
        }
    }

    private static long Now => Stopwatch.GetTimestamp();

    private static long After(TimeSpan span) => Now + (long)(span.TotalSeconds * Stopwatch.Frequency);
}
