using Confluent.Kafka;
using ReactiveKafka.Sender.Internal;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Ties one exactly-once subscription's consumer loop to a sender's transactions. A batch's consumed offsets are sent
/// in the open transaction (<see cref="SendOffsetsAsync"/>); when that transaction commits, the batch's records count as
/// acknowledged (the loop's trackers then know the committed position of each partition); when it aborts, the
/// <see cref="Epoch"/> moves on at once (every batch polled before is stale: it emits nothing and sends no offsets) and
/// the loop rewinds each partition to its last committed position, so nothing of the aborted transaction is skipped.
/// </summary>
/// <remarks>
/// Thread-safety: the listener calls run on the transaction thread, batches call from the subscriber's threads, the
/// loop reads <see cref="Epoch"/> and sets <see cref="AppliedEpoch"/>. The pending list is guarded by a lock that only
/// this type takes.
/// </remarks>
internal sealed class ExactlyOnceCoordinator<TKey, TValue> : ITransactionListener, IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<(long Transaction, IReadOnlyList<ReceiverRecord<TKey, TValue>> Records)> _pending = [];
    private readonly IDisposable _listening;
    private long _epoch;
    private long _aborts;
    private long _commits;

    public ExactlyOnceCoordinator(KafkaTransactionManager transactions)
    {
        Transactions = transactions;
        _listening = transactions.Listen(this);
    }

    public KafkaTransactionManager Transactions { get; }

    /// <summary>The loop this coordinator rewinds (set once before the loop starts).</summary>
    public ConsumerLoop<TKey, TValue>? Loop { get; set; }

    /// <summary>Moves on with every abort of the sender's transactions (any thread).</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>The aborts the loop has rewound for so far (loop thread writes): batches delivered now are stamped with it.</summary>
    public long AppliedEpoch { get; set; }

    /// <summary>Transactions aborted while this subscription ran (diagnostics, tests).</summary>
    public long Aborts => Interlocked.Read(ref _aborts);

    /// <summary>Transactions committed while this subscription ran (diagnostics, tests).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>True while the batch stamped <paramref name="epoch"/> may still be processed (no abort since it was polled).</summary>
    public bool IsCurrent(long epoch) => epoch == Epoch;

    /// <summary>
    /// Adds the batch's consumed offsets (each partition's last record + 1) to the open transaction, with the group
    /// metadata of the consumer that polled it. Fails with <see cref="TransactionAbortedException"/> when a transaction
    /// was aborted since the batch was polled (the loop rewinds: its records come again) or a partition of it was
    /// revoked (its new owner reads them).
    /// </summary>
    public Task SendOffsetsAsync(ExactlyOnceBatch<TKey, TValue> batch, CancellationToken cancellationToken)
    {
        var offsets = new Dictionary<TopicPartition, long>();
        long transaction;
        lock (_lock)
        {
            transaction = Transactions.CurrentTransaction;
            if (!IsCurrent(batch.Epoch) || transaction == 0 || batch.Records.Any(static r => r.Offset.Partition!.IsRevoked))
            {
                return Task.FromException(new TransactionAbortedException(transaction));
            }

            foreach (var record in batch.Records)
            {
                offsets[record.TopicPartition] = record.Offset.Value + 1;
            }

            _pending.Add((transaction, batch.Records));
        }

        return Transactions.SendOffsetsAsync(
            offsets.Select(static o => new TopicPartitionOffset(o.Key, o.Value)), batch.GroupMetadata, cancellationToken);
    }

    /// <summary>
    /// Aborts the open transaction (whichever it is) and waits for it up to <paramref name="timeout"/>: a revocation,
    /// loss or close that cannot wait for it to commit. Any open transaction may hold records of this receiver.
    /// </summary>
    public void AbortOpen(TimeSpan timeout)
    {
        try
        {
            Transactions.AbortIfOpenAsync(expected: 0).Wait(timeout);
        }
        catch (AggregateException)
        {
            // Fatal or disposed: nothing of the transaction commits either way; the rewind follows the epoch.
        }
    }

    void ITransactionListener.Committed(long transaction)
    {
        Interlocked.Increment(ref _commits);
        foreach (var records in Take(transaction))
        {
            foreach (var record in records)
            {
                record.Offset.Acknowledge();
            }
        }
    }

    void ITransactionListener.Aborted(long transaction)
    {
        // Before the abort's task completes: whoever awaits it and then takes the next batch finds that batch stale.
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _aborts);
        Take(transaction);
        Loop?.Post(new RewindUncommitted<TKey, TValue>());
    }

    public void Dispose() => _listening.Dispose();

    private List<IReadOnlyList<ReceiverRecord<TKey, TValue>>> Take(long transaction)
    {
        lock (_lock)
        {
            var taken = _pending.Where(p => p.Transaction == transaction).Select(static p => p.Records).ToList();
            _pending.RemoveAll(p => p.Transaction <= transaction);
            return taken;
        }
    }
}

/// <summary>A transaction aborted: rewind every partition to its last committed position (loop thread).</summary>
internal sealed class RewindUncommitted<TKey, TValue> : LoopWork<TKey, TValue>
{
    public override void Run(ConsumerLoop<TKey, TValue> loop) => loop.RewindUncommitted();

    public override void Abandon(Exception reason)
    {
    }
}
