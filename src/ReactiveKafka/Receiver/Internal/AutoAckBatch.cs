using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// One poll's records for <c>ReceiveAutoAck</c>: subscribing emits them and, when the subscriber has taken them all,
/// acknowledges them and completes. An inner sequence disposed before it completes (a downstream <c>Take</c>)
/// acknowledges none of its records, and one whose receive subscription ended completes without emitting or
/// acknowledging the rest: the partition's next reader reads them again. Acknowledges once, however often it is
/// subscribed to.
/// </summary>
/// <remarks>
/// Subscribed to on the thread that emitted it (<c>Concat</c>, <c>SelectMany</c> or <c>Merge</c> on the outer
/// sequence; the outer sequence emits on a current-thread trampoline), the records are emitted on that trampoline right
/// after <c>Subscribe</c> returns, so that a disposal by the downstream is seen before the next record. Subscribed to
/// elsewhere, they are emitted inside <c>Subscribe</c> (Rx's rule for a synchronous source: a disposal is then only
/// seen by the receive subscription's end).
/// </remarks>
internal sealed class AutoAckBatch<TKey, TValue>(IReadOnlyList<ReceiverRecord<TKey, TValue>> records, Func<bool> receiveStopped)
    : IObservable<ConsumeResult<TKey, TValue>>
{
    public IDisposable Subscribe(IObserver<ConsumeResult<TKey, TValue>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var subscription = new BooleanDisposable();
        if (CurrentThreadScheduler.IsScheduleRequired)
        {
            Emit(observer, subscription);
        }
        else
        {
            CurrentThreadScheduler.Instance.Schedule((self: this, observer, subscription), static (_, state) =>
            {
                state.self.Emit(state.observer, state.subscription);
                return Disposable.Empty;
            });
        }

        return subscription;
    }

    private void Emit(IObserver<ConsumeResult<TKey, TValue>> observer, BooleanDisposable subscription)
    {
        foreach (var record in records)
        {
            if (Cut(observer, subscription))
            {
                return;
            }

            observer.OnNext(record.ConsumeResult);
        }

        if (Cut(observer, subscription))
        {
            return;
        }

        foreach (var record in records)
        {
            record.Offset.Acknowledge();
        }

        observer.OnCompleted();
    }

    /// <summary>
    /// True when the batch ends unacknowledged: disposed by its subscriber (nothing more is said to it), or the receive
    /// subscription ended (it completes without its remaining records).
    /// </summary>
    private bool Cut(IObserver<ConsumeResult<TKey, TValue>> observer, BooleanDisposable subscription)
    {
        if (subscription.IsDisposed)
        {
            return true;
        }

        if (receiveStopped())
        {
            observer.OnCompleted();
            return true;
        }

        return false;
    }
}
