using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// <see cref="KafkaSender{TKey, TValue}.SendTransactionally{TCorrelation}"/>: one transaction per inner source, one
/// after the other. Each runs as begin, send every record of the source, then commit once the source completed and
/// every record is acknowledged; a failed record, a failed source or a failed commit aborts it instead.
/// </summary>
/// <remarks>
/// The transaction is opened deferred: it is begun in the producer only before its first record is sent or its first
/// offsets are added. A source with neither (a batch of <c>ReceiveExactlyOnce</c> polled before an abort, which
/// completes empty) so ends without any begin or commit call; one with offsets only (every record filtered out)
/// still commits its offsets in a transaction.
/// </remarks>
internal static class TransactionalSend
{
    public static IObservable<IObservable<SenderResult<TCorrelation>>> Create<TKey, TValue, TCorrelation>(
        KafkaSender<TKey, TValue> sender,
        KafkaTransactionManager transactions,
        IObservable<IObservable<SenderRecord<TKey, TValue, TCorrelation>>> sources) =>
        Observable.Create<IObservable<SenderResult<TCorrelation>>>(observer =>
        {
            var safe = Observer.Synchronize(observer);
            return sources
                .Select(records => Observable.FromAsync(cancellationToken => RunAsync(sender, transactions, records, safe, cancellationToken)))
                .Concat()
                .Subscribe(static _ => { }, safe.OnError, safe.OnCompleted);
        });

    private static async Task<Unit> RunAsync<TKey, TValue, TCorrelation>(
        KafkaSender<TKey, TValue> sender,
        KafkaTransactionManager transactions,
        IObservable<SenderRecord<TKey, TValue, TCorrelation>> records,
        IObserver<IObservable<SenderResult<TCorrelation>>> observer,
        CancellationToken cancellationToken)
    {
        // A failure to begin (fatal, the sender disposed, transactions that cannot be initialized) ends the whole sequence.
        var transaction = await transactions.BeginDeferredAsync(cancellationToken).ConfigureAwait(false);

        // Kept until the subscriber takes them: the results of one transaction, which the caller sized.
        var results = new ReplaySubject<SenderResult<TCorrelation>>();
        observer.OnNext(results.AsObservable());
        Exception? failure = null;
        try
        {
            await sender.Send(BeginOnFirstRecord<SenderRecord<TKey, TValue, TCorrelation>>.Create(records, transactions, transaction))
                .Do(result =>
                {
                    results.OnNext(result);
                    failure ??= result.Exception; // StopOnError false: a failed record still dooms its transaction
                })
                .LastOrDefaultAsync()
                .ToTask(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception error)
        {
            failure ??= error;
        }

        if (failure is null && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await transactions.CommitCoreAsync(transaction, CancellationToken.None).ConfigureAwait(false);
                results.OnCompleted();
                return Unit.Default;
            }
            catch (Exception error)
            {
                failure = error;
            }
        }

        if (!Ends(failure))
        {
            try
            {
                // Whichever is open: transactions run one after the other here, so an open one holds this source's
                // records. It may not be ours when an abort (a revocation) ended ours just before an exactly-once
                // batch of the source was subscribed: the batch then began one itself. Left open, it would make the
                // next begin fail and end the whole sequence.
                await transactions.AbortIfOpenAsync(expected: 0).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                failure = failure is null or OperationCanceledException ? error : new AggregateException(failure, error);
                results.OnError(failure);
                throw;
            }
        }

        failure ??= new OperationCanceledException(cancellationToken);
        results.OnError(failure);
        if (Ends(failure))
        {
            throw failure;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Unit.Default;
    }

    /// <summary>Whether an error ends the whole sequence (fencing, fatal errors, a disposed sender) rather than one transaction.</summary>
    private static bool Ends(Exception? error) => error switch
    {
        KafkaException { Error.IsFatal: true } => true,
        KafkaException { Error.Code: ErrorCode.ProducerFenced or ErrorCode.Local_Fenced or ErrorCode.Local_Fatal } => true,
        ObjectDisposedException => true,
        _ => false,
    };
}
