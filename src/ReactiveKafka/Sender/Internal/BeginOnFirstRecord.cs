using System.Reactive.Disposables;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// Passes a transaction's records on to the send only once the (deferred) transaction is begun in the producer: the
/// first record begins it (<see cref="KafkaTransactionManager.EnsureBegunAsync"/>) unless it already is, and what the
/// source emits meanwhile is held, in order. A source that completes without a record begins nothing, so an empty
/// transaction costs neither a begin nor a commit. A failed begin fails the sequence.
/// </summary>
/// <remarks>
/// Thread-safety: the source's calls are serialized (Rx's contract); the held records are forwarded from the begin's
/// continuation, and the source forwards directly only once that drain has emptied the queue, so the observer's calls
/// stay serialized too.
/// </remarks>
internal sealed class BeginOnFirstRecord<T> : IObserver<T>, IDisposable
{
    private const int Waiting = 0; // nothing received yet, the transaction perhaps not begun
    private const int Beginning = 1; // the first record came and the begin is on its way: notifications are held
    private const int Open = 2; // begun: notifications go straight through
    private const int Done = 3; // failed, ended or disposed: nothing more goes through

    private readonly IObserver<T> _observer;
    private readonly KafkaTransactionManager _transactions;
    private readonly long _transaction;
    private readonly Lock _lock = new();
    private readonly Queue<Action<IObserver<T>>> _held = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SingleAssignmentDisposable _source = new();
    private int _state;

    private BeginOnFirstRecord(IObserver<T> observer, KafkaTransactionManager transactions, long transaction)
    {
        _observer = observer;
        _transactions = transactions;
        _transaction = transaction;
    }

    /// <summary><paramref name="source"/>, its records passed on once <paramref name="transaction"/> is begun in the producer.</summary>
    public static IObservable<T> Create(IObservable<T> source, KafkaTransactionManager transactions, long transaction) =>
        System.Reactive.Linq.Observable.Create<T>(observer =>
        {
            var gate = new BeginOnFirstRecord<T>(observer, transactions, transaction);
            gate._source.Disposable = source.Subscribe(gate);
            return gate;
        });

    public void OnNext(T value)
    {
        if (Volatile.Read(ref _state) == Open)
        {
            _observer.OnNext(value);
            return;
        }

        lock (_lock)
        {
            switch (_state)
            {
                case Waiting when _transactions.IsBegun(_transaction):
                    _state = Open; // begun already (the exactly-once batch begins it before emitting)
                    break;
                case Waiting:
                    _state = Beginning;
                    _held.Enqueue(o => o.OnNext(value));
                    _ = BeginAsync();
                    return;
                case Beginning:
                    _held.Enqueue(o => o.OnNext(value));
                    return;
                case Done:
                    return;
            }
        }

        _observer.OnNext(value);
    }

    public void OnError(Exception error) => End(o => o.OnError(error));

    public void OnCompleted() => End(static o => o.OnCompleted());

    public void Dispose()
    {
        Volatile.Write(ref _state, Done);
        _stop.Cancel();
        _source.Dispose();
    }

    private void End(Action<IObserver<T>> end)
    {
        lock (_lock)
        {
            if (_state == Beginning)
            {
                _held.Enqueue(end);
                return;
            }

            if (_state == Done)
            {
                return;
            }

            _state = Done; // Waiting (no record: nothing was begun) or Open
        }

        end(_observer);
    }

    private async Task BeginAsync()
    {
        try
        {
            await _transactions.EnsureBegunAsync(_transaction, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            lock (_lock)
            {
                if (_state == Done)
                {
                    return;
                }

                _state = Done;
                _held.Clear();
            }

            _source.Dispose();
            _observer.OnError(error);
            return;
        }

        while (true)
        {
            Action<IObserver<T>> next;
            lock (_lock)
            {
                if (_state == Done)
                {
                    return;
                }

                if (!_held.TryDequeue(out next!))
                {
                    _state = Open;
                    return;
                }
            }

            next(_observer);
        }
    }
}
