using System.Reactive.Disposables;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// One poll's records for <c>ReceiveAutoAck</c>: subscribing emits them synchronously and, when the subscriber has
/// taken them all, acknowledges them and completes. Acknowledges once, however often it is subscribed to.
/// </summary>
internal sealed class AutoAckBatch<TKey, TValue>(IReadOnlyList<ReceiverRecord<TKey, TValue>> records) : IObservable<ConsumeResult<TKey, TValue>>
{
    public IDisposable Subscribe(IObserver<ConsumeResult<TKey, TValue>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var subscription = new BooleanDisposable();
        foreach (var record in records)
        {
            if (subscription.IsDisposed)
            {
                return subscription;
            }

            observer.OnNext(record.ConsumeResult);
        }

        foreach (var record in records)
        {
            record.Offset.Acknowledge();
        }

        observer.OnCompleted();
        return subscription;
    }
}
