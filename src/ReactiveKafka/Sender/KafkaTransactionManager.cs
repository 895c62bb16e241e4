using System.Reactive;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Sender.Internal;

namespace ReactiveKafka;

/// <summary>
/// The transactions of one transactional <see cref="KafkaSender{TKey, TValue}"/> (see
/// <see cref="SenderOptions{TKey, TValue}.TransactionalId"/>): begin, add consumed offsets, commit or abort. Reach it
/// through <see cref="KafkaSender{TKey, TValue}.TransactionManager"/>. Records sent by the sender between
/// <see cref="BeginAsync"/> and <see cref="CommitAsync"/> are part of the transaction: read_committed consumers see
/// them only once it commits, and never when it aborts.
/// </summary>
/// <remarks>
/// <para>
/// Every call runs on one thread owned by the sender, in the order the calls were made (librdkafka's transactional API
/// blocks and must not run concurrently); the returned task completes once it has run. The first
/// <see cref="BeginAsync"/> initializes the producer's transactions (<c>InitTransactions</c>: this fences any older
/// producer with the same transactional id). Retriable errors are retried within
/// <see cref="SenderOptions{TKey, TValue}.TransactionOperationTimeout"/>.
/// </para>
/// <para>
/// Errors: a call out of order throws <see cref="InvalidOperationException"/> naming the call (<c>BeginAsync</c> while a
/// transaction is open, <c>CommitAsync</c>, <c>AbortAsync</c> or <c>SendOffsetsAsync</c> while none is). An abortable
/// error (<see cref="KafkaTxnRequiresAbortException"/>: a record of the transaction failed, the offsets were rejected)
/// leaves the transaction open for <see cref="AbortAsync"/>. A fatal error (the producer was fenced by a newer one with
/// the same transactional id, <see cref="ErrorCode.ProducerFenced"/> / <see cref="ErrorCode.Local_Fenced"/>) is thrown
/// as a <see cref="KafkaException"/> whose <see cref="Error.IsFatal"/> is true, and every later call throws it again:
/// dispose the sender and create a new one.
/// </para>
/// <para>Canceling a call's token stops waiting for it, not the call itself (it still runs, in order).</para>
/// </remarks>
public sealed class KafkaTransactionManager
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly TransactionThread _thread;
    private readonly TimeSpan _timeout;
    private readonly Lock _listenersLock = new();
    private ITransactionListener[] _listeners = [];
    private bool _initialized;
    private long _transaction;
    private long _transactions;
    private bool _begun; // the open transaction is begun in the producer (a deferred one is not until it needs to be)
    private long _commits;
    private long _unbegunEnds;
    private volatile KafkaException? _fatal;

    internal KafkaTransactionManager(IProducer<byte[], byte[]> producer, TransactionThread thread, string transactionalId, TimeSpan timeout)
    {
        _producer = producer;
        _thread = thread;
        TransactionalId = transactionalId;
        _timeout = timeout;
    }

    /// <summary>The producer's transactional id.</summary>
    public string TransactionalId { get; }

    /// <summary>True while a transaction is open (begun and neither committed nor aborted yet). Racy when read while calls are queued.</summary>
    public bool IsInTransaction => Volatile.Read(ref _transaction) != 0;

    /// <summary>The fatal error that ended the producer's transactions (fenced, or another fatal error), or null.</summary>
    public KafkaException? FatalError => _fatal;

    /// <summary>The number of the open transaction (1 for the first one), or 0 while none is open (internal: SendTransactionally, the receiver).</summary>
    internal long CurrentTransaction => Volatile.Read(ref _transaction);

    /// <summary>Transactions committed in the producer (diagnostics, tests): a deferred one that never needed beginning is not among them.</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>
    /// Deferred transactions (<see cref="BeginDeferredAsync"/>) that ended without being begun in the producer: nothing
    /// was sent and no offsets were added, so neither a begin nor a commit was made (diagnostics, tests).
    /// </summary>
    internal long UnbegunEnds => Interlocked.Read(ref _unbegunEnds);

    /// <summary>True when called from inside a transaction call's hook (the owned thread).</summary>
    internal bool OnTransactionThread => _thread.IsCurrent;

    /// <summary>Begins a transaction (initializing the producer's transactions first, the first time).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing once the transaction is open.</returns>
    /// <exception cref="InvalidOperationException">A transaction is already open.</exception>
    /// <exception cref="KafkaException">The producer's transactions could not be initialized, or a fatal error.</exception>
    public Task BeginAsync(CancellationToken cancellationToken = default) => BeginCoreAsync(cancellationToken);

    /// <summary>As <see cref="BeginAsync"/>, with the new transaction's number.</summary>
    internal Task<long> BeginCoreAsync(CancellationToken cancellationToken) =>
        Run(nameof(BeginAsync), () =>
        {
            if (_transaction != 0)
            {
                throw new InvalidOperationException(
                    $"KafkaTransactionManager.BeginAsync: transaction {_transaction} of '{TransactionalId}' is already open; transactions do not nest (commit or abort it first).");
            }

            Initialize();
            Call(() => _producer.BeginTransaction(), retry: false);
            _begun = true;
            Volatile.Write(ref _transaction, ++_transactions);
            return _transaction;
        }).WaitAsync(cancellationToken);

    /// <summary>
    /// Opens a transaction (its number, <see cref="IsInTransaction"/>) without beginning it in the producer yet: that
    /// happens when its first record is about to be sent (<see cref="EnsureBegunAsync"/>) or its first offsets are added.
    /// Committing one that was never begun makes no call at all; so a transaction with nothing in it (a stale batch of
    /// <c>ReceiveExactlyOnce</c>) costs no begin and no commit. Aborting one that was never begun tells the listeners all
    /// the same (the receiver rewinds: records handed out for it must come again). SendTransactionally only.
    /// </summary>
    internal Task<long> BeginDeferredAsync(CancellationToken cancellationToken) =>
        Run(nameof(BeginAsync), () =>
        {
            if (_transaction != 0)
            {
                throw new InvalidOperationException(
                    $"KafkaTransactionManager.BeginAsync: transaction {_transaction} of '{TransactionalId}' is already open; transactions do not nest (commit or abort it first).");
            }

            Initialize(); // as BeginAsync: initializing (and fencing older producers) is not deferred
            _begun = false;
            Volatile.Write(ref _transaction, ++_transactions);
            return _transaction;
        }).WaitAsync(cancellationToken);

    /// <summary>
    /// Begins transaction <paramref name="expected"/> in the producer if it was deferred and is not begun yet, before its
    /// first record is sent; fails with <see cref="TransactionAbortedException"/> when it is no longer open.
    /// </summary>
    internal Task<long> EnsureBegunAsync(long expected, CancellationToken cancellationToken) =>
        Run(nameof(BeginAsync), () =>
        {
            RequireOpen(nameof(BeginAsync), expected);
            BeginIfDeferred();
            return _transaction;
        }).WaitAsync(cancellationToken);

    /// <summary>True when transaction <paramref name="transaction"/> is open and begun in the producer. Racy off the transaction thread; a true stays true until it ends.</summary>
    internal bool IsBegun(long transaction) => Volatile.Read(ref _transaction) == transaction && Volatile.Read(ref _begun);

    /// <summary>
    /// Adds consumed offsets to the open transaction: they are committed to the consumer group with the transaction
    /// (and not at all if it aborts). <paramref name="offsets"/> are the next offsets to read (the last processed record's
    /// offset + 1), as Kafka commits them.
    /// </summary>
    /// <param name="offsets">The next offsets to read, per partition.</param>
    /// <param name="groupMetadata">The consuming consumer's group metadata (<see cref="IConsumer{TKey, TValue}.ConsumerGroupMetadata"/>):
    /// the group rejects the offsets when the consumer's generation is no longer current (a zombie consumer).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing once the offsets are part of the transaction.</returns>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    /// <exception cref="KafkaTxnRequiresAbortException">The group rejected the offsets: abort the transaction.</exception>
    public Task SendOffsetsAsync(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(groupMetadata);
        var list = offsets.ToList();
        return Run(nameof(SendOffsetsAsync), () =>
        {
            RequireOpen(nameof(SendOffsetsAsync));
            if (list.Count > 0)
            {
                BeginIfDeferred();
                Call(() => _producer.SendOffsetsToTransaction(list, groupMetadata, _timeout), retry: true);
            }

            return _transaction;
        }).WaitAsync(cancellationToken);
    }

    /// <summary>Commits the open transaction: its records become visible to read_committed consumers, its offsets committed.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing once the transaction is committed.</returns>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    /// <exception cref="KafkaTxnRequiresAbortException">A record or the offsets of the transaction failed: abort it.</exception>
    public Task CommitAsync(CancellationToken cancellationToken = default) =>
        CommitCoreAsync(expected: 0, cancellationToken);

    /// <summary>
    /// Aborts the open transaction: its records are never visible to read_committed consumers and its offsets are not
    /// committed (consumers that sent them must read those records again: <see cref="KafkaReceiver{TKey, TValue}.ReceiveExactlyOnce"/>
    /// rewinds by itself).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing once the transaction is aborted.</returns>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    public Task AbortAsync(CancellationToken cancellationToken = default) =>
        AbortCoreAsync(expected: 0, cancellationToken);

    /// <summary><see cref="BeginAsync"/> as a cold observable: runs on subscription, emits one <see cref="Unit"/>.</summary>
    /// <returns>One <see cref="Unit"/> once the transaction is open.</returns>
    public IObservable<Unit> Begin() => Observable.FromAsync(BeginAsync);

    /// <summary><see cref="CommitAsync(CancellationToken)"/> as a cold observable: runs on subscription, emits one <see cref="Unit"/>.</summary>
    /// <returns>One <see cref="Unit"/> once the transaction is committed.</returns>
    public IObservable<Unit> Commit() => Observable.FromAsync(CommitAsync);

    /// <summary><see cref="AbortAsync(CancellationToken)"/> as a cold observable: runs on subscription, emits one <see cref="Unit"/>.</summary>
    /// <returns>One <see cref="Unit"/> once the transaction is aborted.</returns>
    public IObservable<Unit> Abort() => Observable.FromAsync(AbortAsync);

    /// <summary><see cref="SendOffsetsAsync"/> as a cold observable: runs on subscription, emits one <see cref="Unit"/>.</summary>
    /// <param name="offsets">The next offsets to read, per partition.</param>
    /// <param name="groupMetadata">The consuming consumer's group metadata.</param>
    /// <returns>One <see cref="Unit"/> once the offsets are part of the transaction.</returns>
    public IObservable<Unit> SendOffsets(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata) =>
        Observable.FromAsync(ct => SendOffsetsAsync(offsets, groupMetadata, ct));

    /// <summary>Commits transaction <paramref name="expected"/> (0: whichever is open); fails with <see cref="TransactionAbortedException"/> when it was aborted meanwhile.</summary>
    internal Task CommitCoreAsync(long expected, CancellationToken cancellationToken) =>
        Run(nameof(CommitAsync), () =>
        {
            RequireOpen(nameof(CommitAsync), expected);
            var transaction = _transaction;
            if (!_begun)
            {
                // Deferred and never begun: nothing was sent and no offsets were added, so there is nothing to commit
                // (and no listener has anything of it to acknowledge).
                Volatile.Write(ref _transaction, 0);
                Interlocked.Increment(ref _unbegunEnds);
                return transaction;
            }

            Call(() => _producer.CommitTransaction(_timeout), retry: true);
            Volatile.Write(ref _transaction, 0);
            Interlocked.Increment(ref _commits);
            Notify(listener => listener.Committed(transaction));
            return transaction;
        }).WaitAsync(cancellationToken);

    /// <summary>Aborts transaction <paramref name="expected"/> (0: whichever is open); false when it was no longer open.</summary>
    internal Task<bool> AbortIfOpenAsync(long expected) =>
        Run(nameof(AbortAsync), () =>
        {
            if (_transaction == 0 || (expected != 0 && _transaction != expected))
            {
                return false;
            }

            AbortOpen();
            return true;
        });

    /// <summary>Listens to commits and aborts (called on the transaction thread, before the call's task completes).</summary>
    internal IDisposable Listen(ITransactionListener listener)
    {
        lock (_listenersLock)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Unlisten(this, listener);
    }

    private Task AbortCoreAsync(long expected, CancellationToken cancellationToken) =>
        Run(nameof(AbortAsync), () =>
        {
            RequireOpen(nameof(AbortAsync), expected);
            AbortOpen();
            return _transactions;
        }).WaitAsync(cancellationToken);

    private void AbortOpen()
    {
        var transaction = _transaction;
        if (_begun)
        {
            Call(() => _producer.AbortTransaction(_timeout), retry: true);
        }
        else
        {
            Interlocked.Increment(ref _unbegunEnds);
        }

        Volatile.Write(ref _transaction, 0);
        Notify(listener => listener.Aborted(transaction)); // also when never begun: records may have been handed out for it
    }

    /// <summary>Begins the open transaction in the producer if it was deferred (transaction thread).</summary>
    private void BeginIfDeferred()
    {
        if (!_begun)
        {
            Call(() => _producer.BeginTransaction(), retry: false);
            Volatile.Write(ref _begun, true);
        }
    }

    private Task<T> Run<T>(string call, Func<T> operation) =>
        _thread.Run(() =>
        {
            if (_fatal is { } fatal)
            {
                throw new KafkaException(new Error(fatal.Error.Code, $"KafkaTransactionManager.{call}: the producer's transactions ended with a fatal error: {fatal.Error.Reason}", isFatal: true), fatal);
            }

            return operation();
        });

    private void RequireOpen(string call, long expected = 0)
    {
        if (_transaction == 0)
        {
            throw expected != 0
                ? new TransactionAbortedException(expected)
                : new InvalidOperationException($"KafkaTransactionManager.{call}: no transaction of '{TransactionalId}' is open (call BeginAsync first).");
        }

        if (expected != 0 && _transaction != expected)
        {
            throw new TransactionAbortedException(expected);
        }
    }

    private void Initialize()
    {
        if (!_initialized)
        {
            Call(() => _producer.InitTransactions(_timeout), retry: true);
            _initialized = true;
        }
    }

    /// <summary>Runs one librdkafka transactional call; retries retriable errors within the timeout; records fatal ones.</summary>
    private void Call(Action call, bool retry)
    {
        var deadline = DateTime.UtcNow + _timeout;
        while (true)
        {
            try
            {
                call();
                return;
            }
            catch (KafkaRetriableException) when (retry && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10); // the transaction thread: nothing else waits on it but the queued calls
            }
            catch (KafkaException error) when (error.Error.IsFatal)
            {
                _fatal ??= error;
                Volatile.Write(ref _transaction, 0);
                throw;
            }
        }
    }

    private void Notify(Action<ITransactionListener> notify)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            notify(listener);
        }
    }

    private sealed class Unlisten(KafkaTransactionManager manager, ITransactionListener listener) : IDisposable
    {
        public void Dispose()
        {
            lock (manager._listenersLock)
            {
                manager._listeners = [.. manager._listeners.Where(l => !ReferenceEquals(l, listener))];
            }
        }
    }
}
