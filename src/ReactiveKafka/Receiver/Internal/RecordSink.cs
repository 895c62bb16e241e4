namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Emits records one by one (<c>Receive</c>, <c>ReceiveAtMostOnce</c>), skipping those of partitions no longer owned.
/// </summary>
internal sealed class RecordSink<TKey, TValue, TOut> : IRecordSink<TKey, TValue>
{
    private readonly IObserver<TOut> _observer;
    private readonly Func<ReceiverRecord<TKey, TValue>, TOut> _select;
    private readonly SerialEmitter<Emission<TKey, TValue>> _emitter;
    private BufferCounter? _buffer;

    public RecordSink(IObserver<TOut> observer, Func<ReceiverRecord<TKey, TValue>, TOut> select, System.Reactive.Concurrency.IScheduler scheduler, bool tracksAcknowledgements)
    {
        _observer = observer;
        _select = select;
        TracksAcknowledgements = tracksAcknowledgements;
        _emitter = new SerialEmitter<Emission<TKey, TValue>>(scheduler, Emit, longRunning: true);
    }

    public bool TracksAcknowledgements { get; }

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

    /// <summary>Emits with the record's process span as the current activity, so the subscriber's spans are its children.</summary>
    private void EmitIn(System.Diagnostics.Activity activity, ReceiverRecord<TKey, TValue> record)
    {
        var previous = System.Diagnostics.Activity.Current;
        System.Diagnostics.Activity.Current = activity;
        try
        {
            _observer.OnNext(_select(record));
        }
        finally
        {
            System.Diagnostics.Activity.Current = previous;
        }
    }

    private void Emit(Emission<TKey, TValue> emission)
    {
        if (emission.Records is { } records)
        {
            foreach (var record in records)
            {
                _buffer!.Remove();
                if (!record.Offset.Partition!.WithdrawsBufferedRecords && !_emitter.IsStopped)
                {
                    if (record.Offset.Activity is { } activity)
                    {
                        EmitIn(activity, record);
                    }
                    else
                    {
                        _observer.OnNext(_select(record));
                    }
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
