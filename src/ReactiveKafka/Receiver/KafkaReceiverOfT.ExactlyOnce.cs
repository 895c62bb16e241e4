using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>Exactly-once receive: consumed offsets committed inside a sender's transactions.</summary>
public sealed partial class KafkaReceiver<TKey, TValue>
{
    /// <summary>
    /// Receives each poll's records as one inner sequence whose consumed offsets go into a transaction of
    /// <paramref name="transactionManager"/>'s sender: consume-transform-produce exactly once. Pass the inner sequences
    /// to <see cref="KafkaSender{TKey, TValue}.SendTransactionally{TCorrelation}"/>, which commits each transaction
    /// when its inner sequence completes:
    /// <c>sender.SendTransactionally(receiver.ReceiveExactlyOnce(sender.TransactionManager).Select(batch => batch.Select(Transform)))</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Subscribing to an inner sequence begins a transaction when none is open, emits the batch's records, adds their
    /// offsets (with the consumer's group metadata, so a zombie member's offsets are rejected) to the open transaction,
    /// then completes. The transaction's commit (by <c>SendTransactionally</c>, or <see cref="KafkaTransactionManager.CommitAsync"/>
    /// when composing by hand) commits the offsets with the records produced; the receiver never commits on its own.
    /// </para>
    /// <para>
    /// When a transaction of the sender aborts (a failed record, source or commit; <see cref="KafkaTransactionManager.AbortAsync"/>),
    /// the consumer rewinds every partition to its last committed position, and inner sequences polled before the
    /// abort complete empty: the records of the aborted transaction come again in later batches, none is skipped.
    /// On revocation (eager or cooperative) the open transaction is given up to
    /// <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/> to commit and is aborted otherwise, before the
    /// partitions are released; a loss or the end of the subscription aborts it at once. Reads with
    /// <c>isolation.level=read_committed</c> unless the consumer properties say otherwise. Unfinished transactions count
    /// their records against <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>.
    /// </para>
    /// </remarks>
    /// <param name="transactionManager">The transactions of the sender that produces the pipeline's output.</param>
    /// <returns>One inner sequence per poll.</returns>
    public IObservable<IObservable<ConsumeResult<TKey, TValue>>> ReceiveExactlyOnce(KafkaTransactionManager transactionManager)
    {
        ArgumentNullException.ThrowIfNull(transactionManager);
        return Observable.Create<IObservable<ConsumeResult<TKey, TValue>>>(observer =>
        {
            var coordinator = new ExactlyOnceCoordinator<TKey, TValue>(transactionManager);
            var sink = new ExactlyOnceSink<TKey, TValue>(coordinator, observer, Options.Scheduler);
            var run = Run(sink, sink.Bind, sink.Stop, atMostOnce: false, coordinator, loop => coordinator.Loop = loop);
            return System.Reactive.Disposables.Disposable.Create(() =>
            {
                run.Dispose();
                coordinator.Dispose();
            });
        });
    }

    /// <summary>
    /// Receives each poll's records as one list inside a transaction of <paramref name="transactionManager"/>'s sender:
    /// the transaction is begun before the list is yielded, and when the enumeration asks for the next list the
    /// batch's offsets are added to it and it is committed. Send the batch's output with the same sender inside the
    /// loop body (<see cref="KafkaSender{TKey, TValue}.SendAsync{TCorrelation}(SenderRecord{TKey, TValue, TCorrelation}, CancellationToken)"/>).
    /// </summary>
    /// <remarks>
    /// Leaving the enumeration (break, an exception, cancellation) aborts the open transaction: its records are read
    /// again by the next reader. A commit that fails with an abortable error aborts the transaction, rewinds the
    /// consumer to the last committed positions and ends the enumeration with the error; a transaction aborted by a
    /// revocation (see <see cref="ReceiveExactlyOnce"/>) is not an error: the enumeration goes on with the next batch.
    /// Fatal errors (fencing) end it with the error.
    /// </remarks>
    /// <param name="transactionManager">The transactions of the sender that produces the pipeline's output.</param>
    /// <param name="cancellationToken">Ends the enumeration (aborting the open transaction) with <see cref="OperationCanceledException"/>.</param>
    /// <returns>One non-empty list per poll.</returns>
    public async IAsyncEnumerable<IReadOnlyList<ConsumeResult<TKey, TValue>>> ReceiveExactlyOnceAsync(
        KafkaTransactionManager transactionManager, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transactionManager);
        var coordinator = new ExactlyOnceCoordinator<TKey, TValue>(transactionManager);
        var sink = new ExactlyOnceSink<TKey, TValue>(coordinator);
        var loop = Activate(sink, atMostOnce: false, coordinator);
        coordinator.Loop = loop;
        loop.Start();
        long open = 0;
        try
        {
            var reader = sink.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var batch))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    loop.Buffer.Remove(batch.Records.Count);
                    var live = batch.Live();
                    if (live.Count == 0)
                    {
                        continue;
                    }

                    open = await transactionManager.BeginCoreAsync(cancellationToken).ConfigureAwait(false);
                    yield return live.Select(static r => r.ConsumeResult).ToList();
                    cancellationToken.ThrowIfCancellationRequested();
                    var transaction = open;
                    open = 0;
                    await CommitBatchAsync(coordinator, batch, live, transaction, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (open != 0)
            {
                await AbortQuietlyAsync(transactionManager, open).ConfigureAwait(false);
            }

            await loop.CloseAsync().ConfigureAwait(false);
            coordinator.Dispose();
        }
    }

    private static async Task CommitBatchAsync(
        ExactlyOnceCoordinator<TKey, TValue> coordinator,
        ExactlyOnceBatch<TKey, TValue> batch,
        List<ReceiverRecord<TKey, TValue>> live,
        long transaction,
        CancellationToken cancellationToken)
    {
        var transactions = coordinator.Transactions;
        try
        {
            await coordinator.SendOffsetsAsync(new ExactlyOnceBatch<TKey, TValue>(live, batch.Epoch, batch.GroupMetadata, coordinator, static () => false), cancellationToken)
                .ConfigureAwait(false);
            await transactions.CommitCoreAsync(transaction, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TransactionAbortedException)
        {
            // A revocation (or a rewind) took the batch away: its records are read again, by us or the new owner.
            await AbortQuietlyAsync(transactions, transaction).ConfigureAwait(false);
        }
        catch (KafkaException error) when (!error.Error.IsFatal)
        {
            await AbortQuietlyAsync(transactions, transaction).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AbortQuietlyAsync(KafkaTransactionManager transactions, long transaction)
    {
        try
        {
            await transactions.AbortIfOpenAsync(transaction).ConfigureAwait(false);
        }
        catch (Exception error) when (error is KafkaException or ObjectDisposedException)
        {
            // Fatal or disposed: nothing of the transaction commits either way.
        }
    }
}
