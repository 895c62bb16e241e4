using System.Reactive.Disposables;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// One poll's records for <c>ReceiveExactlyOnce</c>. Subscribing begins a transaction when none is open, emits the
/// records, then adds their offsets to the open transaction and completes; the transaction's commit (by
/// <c>SendTransactionally</c> or the caller) makes them processed. A batch polled before an abort is stale: it completes
/// without emitting anything (the loop has rewound: its records come again in a later batch). Records of partitions
/// revoked since the poll are not emitted. Disposed before it completes, it sends no offsets.
/// </summary>
/// <remarks>
/// Records are emitted inside <c>Subscribe</c> when a transaction is already open and begun (Rx's rule for a synchronous
/// source), else on a pool thread once it has begun; completion always follows the offsets' round trip. A stale batch
/// begins nothing, so a deferred transaction of <c>SendTransactionally</c> holding only it is never begun nor committed.
/// </remarks>
internal sealed class ExactlyOnceBatch<TKey, TValue>(
    IReadOnlyList<ReceiverRecord<TKey, TValue>> records,
    long epoch,
    IConsumerGroupMetadata groupMetadata,
    ExactlyOnceCoordinator<TKey, TValue> coordinator,
    Func<bool> receiveStopped) : IObservable<ConsumeResult<TKey, TValue>>
{
    public IReadOnlyList<ReceiverRecord<TKey, TValue>> Records { get; } = records;

    /// <summary>The coordinator's applied epoch when the batch was polled.</summary>
    public long Epoch { get; } = epoch;

    /// <summary>The polling consumer's group metadata (its generation fences offsets of a zombie).</summary>
    public IConsumerGroupMetadata GroupMetadata { get; } = groupMetadata;

    /// <summary>The records still owned, or none when the batch is stale.</summary>
    public List<ReceiverRecord<TKey, TValue>> Live() =>
        coordinator.IsCurrent(Epoch) ? Records.Where(static r => !r.Offset.Partition!.WithdrawsBufferedRecords).ToList() : [];

    public IDisposable Subscribe(IObserver<ConsumeResult<TKey, TValue>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var subscription = new CancellationDisposable();
        _ = RunAsync(observer, subscription.Token);
        return subscription;
    }

    private async Task RunAsync(IObserver<ConsumeResult<TKey, TValue>> observer, CancellationToken cancellationToken)
    {
        try
        {
            var live = Live();
            if (live.Count == 0 || receiveStopped())
            {
                observer.OnCompleted();
                return;
            }

            // Begun before the records go out: SendTransactionally opens its transaction deferred, and a batch with
            // records to process (even if the caller filters every one out, its offsets still go in) needs it begun.
            var transactions = coordinator.Transactions;
            var open = transactions.CurrentTransaction;
            if (open == 0)
            {
                await transactions.BeginCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (!transactions.IsBegun(open))
            {
                await transactions.EnsureBegunAsync(open, cancellationToken).ConfigureAwait(false);
            }

            foreach (var record in live)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                observer.OnNext(record.ConsumeResult);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            await coordinator.SendOffsetsAsync(new ExactlyOnceBatch<TKey, TValue>(live, Epoch, GroupMetadata, coordinator, receiveStopped), cancellationToken)
                .ConfigureAwait(false);
            observer.OnCompleted();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed by its subscriber: nothing more is said to it.
        }
        catch (Exception error)
        {
            observer.OnError(error);
        }
    }
}
