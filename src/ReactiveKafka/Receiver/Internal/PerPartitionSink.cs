using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// <c>ReceivePerPartition</c>: emits a <see cref="PartitionStream{TKey, TValue}"/> per ownership period of a partition
/// and routes each poll's records to their partition's stream.
/// </summary>
/// <remarks>
/// A stream's records still count as buffered until its subscriber takes them: a partition whose inner sequence is not
/// subscribed to, or is slow, fills the buffer and pauses the assignment (memory stays bounded).
/// </remarks>
internal sealed class PerPartitionSink<TKey, TValue> : IRecordSink<TKey, TValue>
{
    private readonly IObserver<IGroupedObservable<TopicPartition, ReceiverRecord<TKey, TValue>>> _observer;
    private readonly IScheduler _scheduler;
    private readonly SerialEmitter<(PartitionStream<TKey, TValue>? Stream, Exception? Error)> _emitter;
    private readonly List<PartitionStream<TKey, TValue>> _open = [];
    private BufferCounter? _buffer;

    public PerPartitionSink(IObserver<IGroupedObservable<TopicPartition, ReceiverRecord<TKey, TValue>>> observer, IScheduler scheduler)
    {
        _observer = observer;
        _scheduler = scheduler;
        _emitter = new(scheduler, Emit);
    }

    public bool TracksAcknowledgements => true;

    public void Bind(BufferCounter buffer) => _buffer = buffer;

    /// <summary>The subscription ended: nothing more is emitted, by the outer sequence or any inner one.</summary>
    public void Stop() => _emitter.Stop();

    public void Assigned(PartitionState partition)
    {
        var stream = new PartitionStream<TKey, TValue>(partition.TopicPartition, _scheduler, _buffer!, () => _emitter.IsStopped);
        partition.Stream = stream;
        _open.Add(stream);
        _emitter.Post((stream, null));
    }

    public void Deliver(List<ReceiverRecord<TKey, TValue>> records)
    {
        // Usually one partition per poll: split only when needed.
        var first = records[0].Offset.Partition!;
        if (records.TrueForAll(r => r.Offset.Partition == first))
        {
            ((PartitionStream<TKey, TValue>)first.Stream!).Post(records);
            return;
        }

        foreach (var group in records.GroupBy(static r => r.Offset.Partition!))
        {
            ((PartitionStream<TKey, TValue>)group.Key.Stream!).Post(group.ToList());
        }
    }

    public void Revoked(PartitionState partition)
    {
        var stream = (PartitionStream<TKey, TValue>)partition.Stream!;
        _open.Remove(stream);
        stream.End(null);
    }

    public void Fail(Exception error)
    {
        _open.ForEach(s => s.End(error));
        _open.Clear();
        _emitter.Post((null, error));
    }

    public void Complete()
    {
        _open.ForEach(static s => s.End(null));
        _open.Clear();
        _emitter.Post((null, null));
    }

    private void Emit((PartitionStream<TKey, TValue>? Stream, Exception? Error) item)
    {
        if (item.Stream is { } stream)
        {
            _observer.OnNext(stream);
            return;
        }

        _emitter.Stop();
        if (item.Error is { } error)
        {
            _observer.OnError(error);
        }
        else
        {
            _observer.OnCompleted();
        }
    }
}
