using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Emits one poll's records as one item (<c>ReceiveBatch</c>, <c>ReceiveAutoAck</c>), without the records of partitions
/// no longer owned; empty batches are not emitted.
/// </summary>
internal sealed class BatchSink<TKey, TValue, TOut> : IRecordSink<TKey, TValue>
{
    private readonly IObserver<TOut> _observer;
    private readonly Func<IReadOnlyList<ReceiverRecord<TKey, TValue>>, TOut> _select;
    private readonly SerialEmitter<Emission<TKey, TValue>> _emitter;
    private readonly bool _onTrampoline;
    private BufferCounter? _buffer;

    /// <param name="observer">The subscriber.</param>
    /// <param name="select">Makes the emitted item of a batch.</param>
    /// <param name="scheduler">Where items are emitted.</param>
    /// <param name="onTrampoline">
    /// Emits each item inside a current-thread trampoline, so that inner sequences subscribed to during its
    /// <c>OnNext</c> run right after it (see <see cref="AutoAckBatch{TKey, TValue}"/>).
    /// </param>
    public BatchSink(IObserver<TOut> observer, Func<IReadOnlyList<ReceiverRecord<TKey, TValue>>, TOut> select, IScheduler scheduler, bool onTrampoline = false)
    {
        _observer = observer;
        _select = select;
        _onTrampoline = onTrampoline;
        _emitter = new SerialEmitter<Emission<TKey, TValue>>(scheduler, Emit, longRunning: true);
    }

    /// <summary>True once the subscription ended: nothing more is emitted.</summary>
    public bool IsStopped => _emitter.IsStopped;

    public bool TracksAcknowledgements => true;

    public void Bind(BufferCounter buffer) => _buffer = buffer;

    public void Stop() => _emitter.Stop();

    public void Assigned(PartitionState partition)
    {
    }

    public void Deliver(List<ReceiverRecord<TKey, TValue>> records) => _emitter.Post(new(records, null));

    public void Revoked(PartitionState partition)
    {
    }

    public void Fail(Exception error) => _emitter.Post(new(null, error));

    public void Complete() => _emitter.Post(Emission<TKey, TValue>.Completed);

    private void Emit(Emission<TKey, TValue> emission)
    {
        if (emission.Records is { } records)
        {
            _buffer!.Remove(records.Count);
            if (records.Exists(static r => r.Offset.Partition!.WithdrawsBufferedRecords))
            {
                records = records.FindAll(static r => !r.Offset.Partition!.WithdrawsBufferedRecords);
            }

            if (records.Count > 0 && !_emitter.IsStopped)
            {
                if (_onTrampoline && CurrentThreadScheduler.IsScheduleRequired)
                {
                    CurrentThreadScheduler.Instance.Schedule((self: this, records), static (_, state) =>
                    {
                        state.self._observer.OnNext(state.self._select(state.records));
                        return Disposable.Empty;
                    });
                }
                else
                {
                    _observer.OnNext(_select(records));
                }
            }

            return;
        }

        _emitter.Stop();
        if (emission.Error is { } error)
        {
            _observer.OnError(error);
        }
        else
        {
            _observer.OnCompleted();
        }
    }
}
