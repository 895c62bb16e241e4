namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// One send stream: takes records from a source under the in-flight bound, hands them to the shared producer, and
/// decides what reaches downstream and when the stream ends. Subclasses provide the source side (an observer or an
/// async pump) and the emitting side (a scheduler drain or a channel).
/// </summary>
/// <remarks>
/// <para>
/// Lifecycle in one 64-bit word: the low bits count the admitted records not yet settled plus one for the source
/// while it may still send; the <see cref="Closed"/> bit is set (and the source's one removed) once the source
/// completes, fails, or the stream stops. The word equal to <see cref="Closed"/> (closed, nothing left) means every
/// admitted record has its result downstream: the stream can end. Admission is a compare-and-swap that fails once
/// closed, so nothing is sent after a stop.
/// </para>
/// <para>
/// Threads: the source side runs on the source's thread (one record at a time); results arrive on librdkafka's poll
/// thread (never blocked: they are only queued); the emitting side is serialized by the subclass and is the only
/// caller of <see cref="Accept"/> and <see cref="Settle(int)"/>.
/// </para>
/// </remarks>
internal abstract class SendPipeline<TKey, TValue, TCorrelation> : IResultSink<TCorrelation>, ISendStream
{
    private const long Closed = 1L << 62;

    private readonly InFlightGate _gate;
    private readonly InFlightRecordPool<TKey, TValue, TCorrelation> _pool;
    private readonly bool _stopOnError;
    private readonly CancellationTokenSource _stop = new();
    private long _state = 1;
    private volatile bool _failureSeen;
    private volatile bool _unsubscribed;
    private Exception? _terminalError;
    private int _stopped;
    private int _terminated;

    protected SendPipeline(ProducerCore<TKey, TValue> core)
    {
        Core = core;
        _gate = new InFlightGate(core.Options.MaxInFlight);
        _pool = new InFlightRecordPool<TKey, TValue, TCorrelation>(core);
        _stopOnError = core.Options.StopOnError;
    }

    protected ProducerCore<TKey, TValue> Core { get; }

    /// <summary>Canceled when the stream stops taking records (failure, unsubscription, sender closing).</summary>
    protected CancellationToken StopToken => _stop.Token;

    /// <summary>Whether records from the source are still sent.</summary>
    protected bool IsTaking => !_failureSeen && (Volatile.Read(ref _state) & Closed) == 0;

    protected bool IsUnsubscribed => _unsubscribed;

    /// <summary>Whether the stream has ended (<see cref="TryTerminate"/> returned true once).</summary>
    protected bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    /// <summary>Called on the poll thread, the sending thread or the closing thread: queue the result, never block.</summary>
    public void OnResult(SenderResult<TCorrelation> result)
    {
        if (result.Exception is not null && _stopOnError)
        {
            _failureSeen = true;
        }

        Deliver(result);
    }

    public void OnSenderClosing(ObjectDisposedException reason)
    {
        Interlocked.CompareExchange(ref _terminalError, reason, null);
        Stop();
    }

    public int Waiting() => _pool.Waiting();

    public void FailInFlight(TimeSpan closeTimeout) => _pool.FailOnClose(closeTimeout);

    /// <summary>Waits for a permit by blocking the calling (source) thread, then sends the record.</summary>
    protected void SendBlocking(SenderRecord<TKey, TValue, TCorrelation> record)
    {
        if (!IsTaking)
        {
            return;
        }

        try
        {
            if (!_gate.TryAcquire())
            {
                OnSourceWaiting();
                _gate.Wait(StopToken);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!Admit())
        {
            return;
        }

        var entry = Core.Prepare(record, this, _pool, out var message);

        while (!Core.TryProduce(entry, message))
        {
            // librdkafka's queue is full: backpressure, not failure. Wait for deliveries to make room.
            OnSourceWaiting();
            if (StopToken.WaitHandle.WaitOne(1))
            {
                entry.FailNotSent();
                return;
            }
        }
    }

    /// <summary>Waits for a permit asynchronously, then sends the record.</summary>
    protected async ValueTask SendAwaitingAsync(SenderRecord<TKey, TValue, TCorrelation> record)
    {
        if (!IsTaking)
        {
            return;
        }

        try
        {
            await _gate.WaitAsync(StopToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!Admit())
        {
            return;
        }

        // Asynchronous serializers are awaited here (the synchronous path completes at once); order is kept because
        // the pump takes the next record only after this one is handed to the producer.
        var (entry, message) = await Core.PrepareAsync(record, this, _pool).ConfigureAwait(false);
        while (!Core.TryProduce(entry, message))
        {
            try
            {
                await Task.Delay(1, StopToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                entry.FailNotSent();
                return;
            }
        }
    }

    /// <summary>The source ended (with <paramref name="error"/> if it failed): no more records are taken.</summary>
    protected void CloseSource(Exception? error)
    {
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _terminalError, error, null);
        }

        var state = Volatile.Read(ref _state);
        while ((state & Closed) == 0)
        {
            var next = (state | Closed) - 1;
            var seen = Interlocked.CompareExchange(ref _state, next, state);
            if (seen == state)
            {
                if (next == Closed)
                {
                    SignalTerminal();
                }

                return;
            }

            state = seen;
        }
    }

    /// <summary>Emitting side: whether <paramref name="result"/> goes downstream (applies the StopOnError rule).</summary>
    protected bool Accept(SenderResult<TCorrelation> result)
    {
        if (_unsubscribed)
        {
            return false;
        }

        if (result.Exception is { } error && _stopOnError)
        {
            // The first failure ends the stream once the records in flight have settled; failures of those records
            // are not reported separately, their successes still are.
            Interlocked.CompareExchange(ref _terminalError, error, null);
            Stop();
            return false;
        }

        return true;
    }

    /// <summary>Emitting side: the result of one record has been handled downstream; frees its permit.</summary>
    protected void Settle() => Settle(1);

    /// <summary>
    /// Emitting side: the results of <paramref name="count"/> records have been handled downstream; frees their
    /// permits. Settling a drained batch at once touches the counters the sending thread also writes once per batch
    /// instead of once per record, so the cache lines behind them do not travel between cores on every record.
    /// </summary>
    protected void Settle(int count)
    {
        if (count == 0)
        {
            return;
        }

        // Count down before freeing the permits, so the sender's in-flight count never exceeds the permits taken.
        Core.Settled(count);
        _gate.Release(count);
        if (Interlocked.Add(ref _state, -count) == Closed)
        {
            SignalTerminal();
        }
    }

    /// <summary>True once, when the source is closed and every admitted record has settled; unregisters the stream.</summary>
    protected bool TryTerminate(out Exception? error)
    {
        error = null;
        if (Volatile.Read(ref _state) != Closed || Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return false;
        }

        Core.Unregister(this);
        error = Volatile.Read(ref _terminalError);
        return true;
    }

    /// <summary>Stops taking records and drops results that are still to come (the subscriber left).</summary>
    protected void Unsubscribe()
    {
        _unsubscribed = true;
        Stop();
    }

    /// <summary>Stops taking records: closes admission, wakes a source waiting for a permit, releases the source.</summary>
    protected void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        CloseSource(null);
        _stop.Cancel();
        OnStopped();
    }

    /// <summary>Queues a result for the emitting side. Must not block.</summary>
    protected abstract void Deliver(SenderResult<TCorrelation> result);

    /// <summary>The stream may be able to end: wake the emitting side. Must not block.</summary>
    protected abstract void SignalTerminal();

    /// <summary>The blocking source side is about to wait for a permit or for room in librdkafka's queue.</summary>
    protected virtual void OnSourceWaiting()
    {
    }

    /// <summary>The stream stopped taking records: release the source (subscription, enumerator).</summary>
    protected virtual void OnStopped()
    {
    }

    /// <summary>Counts a record in, holding its permit; false (permit released) once the stream is closed or failed.</summary>
    private bool Admit()
    {
        var state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & Closed) != 0 || _failureSeen)
            {
                _gate.Release();
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        Core.Admitted();
        return true;
    }
}
