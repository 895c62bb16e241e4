using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using ReactiveKafka.Scheduling;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The observable send stream: observes the source (holding its <c>OnNext</c> while no permit is free) and emits
/// results in arrival order on the options' scheduler through a single drain loop (a work-in-progress counter
/// schedules the drain when the first result of a burst arrives). A permit is released after the observer's
/// <c>OnNext</c> returns, so a slow observer slows the source instead of growing a queue.
/// </summary>
internal sealed class ObservableSendPipeline<TKey, TValue, TCorrelation>
    : SendPipeline<TKey, TValue, TCorrelation>, IObserver<SenderRecord<TKey, TValue, TCorrelation>>, IDisposable, IDeferredWake
{
    /// <summary>
    /// Results handled between two settlements: large enough that the counters shared with the sending thread are
    /// written rarely, small against any useful in-flight bound so permits come back steadily.
    /// </summary>
    private const int SettleBatch = 64;

    /// <summary>
    /// Results a stream emits through scheduled work items before its drain moves to a long-running thread of the
    /// scheduler: a short stream (one record, a small batch) never makes a thread; a lasting one stops paying a
    /// thread-pool wake per poll.
    /// </summary>
    private const int LongRunningAfter = 1024;

    private readonly IObserver<SenderResult<TCorrelation>> _observer;
    private readonly IScheduler _scheduler;
    private readonly ConcurrentQueue<SenderResult<TCorrelation>> _results = new();
    private readonly SingleAssignmentDisposable _source = new();
    private readonly ManualResetEventSlim _handedOff = new();
    private int _wip;
    private long _emitted;
    private bool _triedLongRunning;
    private volatile DrainThread? _drainThread;

    public ObservableSendPipeline(ProducerCore<TKey, TValue> core, IObserver<SenderResult<TCorrelation>> observer)
        : base(core)
    {
        _observer = observer;
        _scheduler = core.Options.Scheduler;
    }

    /// <summary>
    /// Subscribes to the source on a thread of its own and returns once the source's <c>Subscribe</c> has returned, or
    /// the source waits for a permit (a synchronous source that has sent <c>MaxInFlight</c> records goes on from that
    /// thread), or the stream stopped. So the caller's <c>Subscribe</c> returns as in Reactor Kafka (where the source
    /// runs until its demand is used up), and a hot source is subscribed to before it does.
    /// </summary>
    public IDisposable Run(IObservable<SenderRecord<TKey, TValue, TCorrelation>> records)
    {
        try
        {
            Core.Register(this);
        }
        catch (ObjectDisposedException error)
        {
            _observer.OnError(error);
            return Disposable.Empty;
        }

        var thread = new Thread(static state =>
        {
            var (self, source) = ((ObservableSendPipeline<TKey, TValue, TCorrelation>, IObservable<SenderRecord<TKey, TValue, TCorrelation>>))state!;
            self.SubscribeSource(source);
        })
        {
            IsBackground = true,
            Name = "ReactiveKafka sender source",
        };
        thread.Start((this, records));
        _handedOff.Wait();
        return this;
    }

    public void OnNext(SenderRecord<TKey, TValue, TCorrelation> value) => SendBlocking(value);

    public void OnError(Exception error) => CloseSource(error);

    public void OnCompleted() => CloseSource(null);

    /// <summary>The subscriber leaves: no more records are taken, no more results are emitted.</summary>
    public void Dispose() => Unsubscribe();

    /// <inheritdoc/>
    public bool WakeDeferred { get; set; }

    /// <inheritdoc/>
    public void Wake() => Schedule();

    protected override void Deliver(SenderResult<TCorrelation> result)
    {
        _results.Enqueue(result);

        // On the poll thread the drain is scheduled once, after the poll's last report: a drain scheduled at the first
        // report of a burst often finished before the next report came, and each report woke a thread-pool worker.
        if (!Core.DeferWake(this))
        {
            Schedule();
        }
    }

    protected override void SignalTerminal() => Schedule();

    protected override void OnStopped()
    {
        _source.Dispose();
        _handedOff.Set();
    }

    protected override void OnSourceWaiting() => _handedOff.Set();

    private void SubscribeSource(IObservable<SenderRecord<TKey, TValue, TCorrelation>> records)
    {
        try
        {
            _source.Disposable = records.Subscribe(this);
        }
        catch (Exception error)
        {
            CloseSource(error);
        }
        finally
        {
            _handedOff.Set();
        }
    }

    private void Schedule()
    {
        if (_drainThread is { } thread)
        {
            thread.Signal();
            return;
        }

        if (Interlocked.Increment(ref _wip) == 1)
        {
            _scheduler.Schedule(this, static (_, self) =>
            {
                self.Drain();
                return Disposable.Empty;
            });
        }
    }

    private bool DrainOnThread()
    {
        if (Interlocked.Increment(ref _wip) == 1)
        {
            Drain();
        }

        return !IsTerminated;
    }

    private void Drain()
    {
        var missed = 1;
        while (true)
        {
            var handled = 0;
            while (_results.TryDequeue(out var result))
            {
                if (Accept(result))
                {
                    _observer.OnNext(result);
                }

                _emitted++;

                if (++handled == SettleBatch)
                {
                    Settle(handled);
                    handled = 0;
                }
            }

            Settle(handled);

            if (TryTerminate(out var error))
            {
                _drainThread?.Stop();
                if (!IsUnsubscribed)
                {
                    if (error is null)
                    {
                        _observer.OnCompleted();
                    }
                    else
                    {
                        _observer.OnError(error);
                    }
                }

                return;
            }

            if (!_triedLongRunning && _emitted >= LongRunningAfter)
            {
                // Still the only drainer (the work-in-progress count is held): from now on posters signal the thread,
                // whose drain takes the same count, so the two never emit at once.
                _triedLongRunning = true;
                _drainThread = DrainThread.TryStart(_scheduler, DrainOnThread);
            }

            missed = Interlocked.Add(ref _wip, -missed);
            if (missed == 0)
            {
                return;
            }
        }
    }
}
