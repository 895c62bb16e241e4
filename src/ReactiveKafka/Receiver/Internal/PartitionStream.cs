using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// One partition's ordered inner sequence for <c>ReceivePerPartition</c>: records wait until it is subscribed to, are
/// then emitted in offset order on the scheduler (independently of other partitions, so partitions are processed in
/// parallel), and it completes when the partition is revoked (its remaining records are dropped). One subscription.
/// </summary>
/// <remarks>Thread-safe: the loop posts, the scheduler emits.</remarks>
internal sealed class PartitionStream<TKey, TValue> : IGroupedObservable<TopicPartition, ReceiverRecord<TKey, TValue>>
{
    private readonly SerialEmitter<Emission<TKey, TValue>> _emitter;
    private readonly BufferCounter _buffer;
    private readonly Func<bool> _receiveStopped;
    private IObserver<ReceiverRecord<TKey, TValue>>? _observer;
    private int _subscribed;

    /// <param name="key">The partition.</param>
    /// <param name="scheduler">Where records are emitted.</param>
    /// <param name="buffer">The receiver's count of records not yet emitted.</param>
    /// <param name="receiveStopped">True once the receive subscription ended: no record is emitted after it.</param>
    public PartitionStream(TopicPartition key, IScheduler scheduler, BufferCounter buffer, Func<bool> receiveStopped)
    {
        Key = key;
        _buffer = buffer;
        _receiveStopped = receiveStopped;
        _emitter = new SerialEmitter<Emission<TKey, TValue>>(scheduler, Emit, active: false);
    }

    public TopicPartition Key { get; }

    public IDisposable Subscribe(IObserver<ReceiverRecord<TKey, TValue>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            observer.OnError(new InvalidOperationException($"The per-partition sequence of {Key} allows one subscription."));
            return Disposable.Empty;
        }

        _observer = observer;
        _emitter.Activate();
        return Disposable.Create(_emitter.Stop);
    }

    public void Post(List<ReceiverRecord<TKey, TValue>> records) => _emitter.Post(new(records, null));

    public void End(Exception? error) => _emitter.Post(new(null, error));

    private void Emit(Emission<TKey, TValue> emission)
    {
        if (emission.Records is { } records)
        {
            foreach (var record in records)
            {
                _buffer.Remove();
                if (!record.Offset.Partition!.WithdrawsBufferedRecords && !_emitter.IsStopped && !_receiveStopped())
                {
                    _observer!.OnNext(record);
                }
            }

            return;
        }

        _emitter.Stop();
        if (emission.Error is { } error)
        {
            _observer!.OnError(error);
        }
        else
        {
            _observer!.OnCompleted();
        }
    }
}
