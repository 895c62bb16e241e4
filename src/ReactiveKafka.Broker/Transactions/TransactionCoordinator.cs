using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// The transaction coordinator of the single-node broker: Kafka's <c>TransactionCoordinator</c> and
/// <c>TransactionStateManager</c> as clients observe them. Maps each <c>transactional.id</c> to a producer id and
/// epoch, fences older epochs, records the partitions and groups of the ongoing transaction, and on EndTxn persists
/// PrepareCommit/PrepareAbort, answers, then writes the markers (<see cref="ITransactionMarkerWriter"/>), completes the
/// group offsets (<see cref="ITransactionalOffsets"/>) and persists CompleteCommit/CompleteAbort.
/// </summary>
/// <remarks>
/// <para><b>States</b> (<see cref="TransactionState"/>): Empty → AddPartitionsToTxn/AddOffsetsToTxn → Ongoing →
/// EndTxn → PrepareCommit | PrepareAbort → markers written → CompleteCommit | CompleteAbort → next transaction (Ongoing)
/// or InitProducerId (Empty, epoch + 1). An InitProducerId that finds an Ongoing transaction fences it: the epoch is
/// bumped, the transaction aborted with the new epoch, and the caller gets CONCURRENT_TRANSACTIONS and retries (the
/// retry bumps the epoch once more, as in Kafka). A transaction older than its timeout is aborted the same way.</para>
/// <para><b>Transitions</b> are Kafka's two steps: under the transactional id's lock the target metadata is computed
/// from the current one and its write enqueued (the id is then <i>pending</i>: other requests get
/// CONCURRENT_TRANSACTIONS); once the write is durable the target is installed. A failed write installs nothing.</para>
/// <para><b>Fsyncs per transaction</b>: EndTxn answers once PrepareX is durable, as Kafka's does; the markers are then
/// written in the background. The producer's next AddPartitionsToTxn/AddOffsetsToTxn arriving before they are durable
/// waits for them (bounded by <see cref="TransactionCoordinatorOptions.CompletionWait"/>). CompleteX is persisted only
/// after <see cref="TransactionCoordinatorOptions.CompleteWriteDelay"/>, and not at all when the next transaction's
/// first write comes first: that write (Ongoing, after the markers are durable) supersedes the PrepareX by itself. A
/// transaction then waits on four fsync rounds in a row (AddPartitions, records, PrepareX, markers), not five.</para>
/// <para><b>Differences from Kafka, on purpose</b>: an AddPartitionsToTxn/AddOffsetsToTxn that finds the previous
/// transaction completing waits for it instead of answering CONCURRENT_TRANSACTIONS at once (librdkafka would back
/// off 20 ms); the outcome is the same. CompleteX is written late or never (see above); a restart that finds the PrepareX
/// writes its markers again. One coordinator epoch (0): there is one node, so there is never another coordinator to
/// fence. Transactions V2 (KIP-890 part 2, EndTxn v5) is not served: clients stay on V1.</para>
/// <para><b>Restart</b>: the store's durable view is loaded; a transaction found in PrepareCommit/PrepareAbort has its
/// markers written again and is completed (<see cref="Start"/>); an Ongoing one is aborted by its timeout or by the
/// next InitProducerId of its id.</para>
/// </remarks>
internal sealed partial class TransactionCoordinator : IAsyncDisposable
{
    /// <summary>The coordinator epoch written in every marker: one node, one coordinator, never fenced.</summary>
    public const int CoordinatorEpoch = 0;

    private readonly ConcurrentDictionary<string, TransactionEntry> _entries = new(StringComparer.Ordinal);
    private readonly TransactionStore _store;
    private readonly TransactionCoordinatorOptions _options;
    private readonly Func<long> _allocateProducerId;
    private readonly ITransactionMarkerWriter _markers;
    private readonly ITransactionalOffsets _offsets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<Task, bool> _completions = new();
    private ITimer? _abortTimer;
    private ITimer? _expiryTimer;

    /// <summary>Creates a coordinator over <paramref name="store"/> (which it owns) and loads its durable state.</summary>
    public TransactionCoordinator(
        TransactionStore store,
        Func<long> allocateProducerId,
        ITransactionMarkerWriter markers,
        ITransactionalOffsets offsets,
        TransactionCoordinatorOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        _store = store;
        _allocateProducerId = allocateProducerId;
        _markers = markers;
        _offsets = offsets;
        _options = options ?? new TransactionCoordinatorOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (var metadata in store.Durable)
        {
            _entries[metadata.TransactionalId] = new TransactionEntry(metadata);
        }
    }

    /// <summary>The options in force.</summary>
    public TransactionCoordinatorOptions Options => _options;

    /// <summary>Starts the timers and finishes every transaction a previous run left in PrepareCommit or PrepareAbort.</summary>
    public void Start()
    {
        foreach (var entry in _entries.Values)
        {
            lock (entry.Gate)
            {
                if (entry.Metadata.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort && entry.Completion is null)
                {
                    _logger.LogInformation("Completing transaction of {TransactionalId} left in {State}", entry.Metadata.TransactionalId, entry.Metadata.State);
                    entry.Completion = Track(CompleteAsync(entry, entry.Metadata));
                }
            }
        }

        _abortTimer = _time.CreateTimer(static s => ((TransactionCoordinator)s!).AbortTimedOutTransactions(), this, _options.AbortTimedOutInterval, _options.AbortTimedOutInterval);
        _expiryTimer = _time.CreateTimer(static s => ((TransactionCoordinator)s!).RemoveExpiredTransactionalIds(), this, _options.RemoveExpiredInterval, _options.RemoveExpiredInterval);
    }

    /// <summary>Stops the timers, abandons marker retries (a PrepareX left behind is finished on the next start) and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        if (_abortTimer is not null)
        {
            await _abortTimer.DisposeAsync().ConfigureAwait(false);
        }

        if (_expiryTimer is not null)
        {
            await _expiryTimer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_completions.Keys).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Abandoned on shutdown; finished on the next start.
        }

        await PersistDeferredCompletionsAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    /// <summary>The current metadata of a transactional id (tests and admin), or null.</summary>
    internal TransactionMetadata? Get(string transactionalId) =>
        _entries.TryGetValue(transactionalId, out var entry) ? entry.Snapshot() : null;

    /// <summary>The milliseconds since the epoch on the coordinator's clock.</summary>
    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Enqueues the write of <paramref name="target"/> and marks the entry pending; the caller holds the entry's lock.
    /// Await the returned task, then call <see cref="Install"/>.
    /// </summary>
    private Task Persist(TransactionEntry entry, TransactionMetadata target)
    {
        entry.Pending = target.State;
        entry.Transition = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _store.Append(new TransactionLogRecord.Metadata(target));
    }

    /// <summary>Clears the pending transition and wakes the requests waiting for it; the caller holds the entry's lock.</summary>
    private static void EndTransition(TransactionEntry entry)
    {
        entry.Pending = null;
        entry.Transition?.TrySetResult();
        entry.Transition = null;
    }

    /// <summary>
    /// Waits for a transition's write and installs its target (clears the pending state either way). Returns NONE, or
    /// COORDINATOR_NOT_AVAILABLE when the write failed (a retriable code: the client tries again).
    /// </summary>
    private async ValueTask<ErrorCode> Install(TransactionEntry entry, TransactionMetadata target, Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Persisting transaction state {State} of {TransactionalId} failed", target.State, target.TransactionalId);
            lock (entry.Gate)
            {
                EndTransition(entry);
            }

            return ErrorCode.CoordinatorNotAvailable;
        }

        lock (entry.Gate)
        {
            entry.Metadata = target;

            // Every write after the markers of a completed transaction are durable supersedes its PrepareX in the log.
            entry.CompletePersisted = true;
            EndTransition(entry);
        }

        return ErrorCode.None;
    }

    /// <summary>Keeps a background completion until it ends, so that shutdown can wait for it.</summary>
    private Task Track(Task task)
    {
        _completions[task] = true;
        task.ContinueWith(
            static (t, state) =>
            {
                var coordinator = (TransactionCoordinator)state!;
                coordinator._completions.TryRemove(t, out _);
                if (t.Exception is { } error && !coordinator._shutdown.IsCancellationRequested)
                {
                    coordinator._logger.LogError(error, "Completing a transaction failed");
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <summary>One transactional id: its installed metadata and the transition in flight, behind its own lock.</summary>
    private sealed class TransactionEntry(TransactionMetadata metadata)
    {
        /// <summary>Guards every field.</summary>
        public Lock Gate { get; } = new();

        /// <summary>
        /// The installed metadata: durable, except a CompleteCommit/CompleteAbort while <see cref="CompletePersisted"/> is
        /// false (the log then still holds its PrepareX, whose markers are durable).
        /// </summary>
        public TransactionMetadata Metadata { get; set; } = metadata;

        /// <summary>False while <see cref="Metadata"/> is a CompleteX not yet persisted (its write is deferred).</summary>
        public bool CompletePersisted { get; set; } = true;

        /// <summary>The state of the transition being written, or null (Kafka's <c>pendingState</c>).</summary>
        public TransactionState? Pending { get; set; }

        /// <summary>Completes when the transition being written is installed or failed; null when none is.</summary>
        public TaskCompletionSource? Transition { get; set; }

        /// <summary>The marker writing and completion of a PrepareX transaction, while it runs.</summary>
        public Task? Completion { get; set; }

        /// <summary>Whether the id is removed (expired): a request that raced the removal starts over with a new entry.</summary>
        public bool Removed { get; set; }

        public TransactionMetadata Snapshot()
        {
            lock (Gate)
            {
                return Metadata;
            }
        }
    }
}
