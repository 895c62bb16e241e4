using System.Reactive.Concurrency;
using System.Threading.Channels;
using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// <c>ReceiveExactlyOnce</c> / <c>ReceiveExactlyOnceAsync</c>: stamps each poll's records, on the loop thread, with the
/// coordinator's applied epoch and the consumer's group metadata (an <see cref="ExactlyOnceBatch{TKey, TValue}"/>) and
/// hands the batch to the subscriber: emitted on the scheduler for the observable form, written to a channel for the
/// async one. Records count as acknowledged only when their transaction commits.
/// </summary>
internal sealed class ExactlyOnceSink<TKey, TValue> : IRecordSink<TKey, TValue>
{
    private readonly ExactlyOnceCoordinator<TKey, TValue> _coordinator;
    private readonly IObserver<IObservable<ConsumeResult<TKey, TValue>>>? _observer;
    private readonly SerialEmitter<(ExactlyOnceBatch<TKey, TValue>? Batch, Exception? Error)>? _emitter;
    private readonly Channel<ExactlyOnceBatch<TKey, TValue>>? _channel;
    private BufferCounter? _buffer;

    /// <summary>The observable form: batches are emitted to <paramref name="observer"/> on <paramref name="scheduler"/>.</summary>
    public ExactlyOnceSink(ExactlyOnceCoordinator<TKey, TValue> coordinator, IObserver<IObservable<ConsumeResult<TKey, TValue>>> observer, IScheduler scheduler)
    {
        _coordinator = coordinator;
        _observer = observer;
        _emitter = new(scheduler, Emit);
    }

    /// <summary>The async form: batches go to <see cref="Reader"/>.</summary>
    public ExactlyOnceSink(ExactlyOnceCoordinator<TKey, TValue> coordinator)
    {
        _coordinator = coordinator;
        _channel = Channel.CreateUnbounded<ExactlyOnceBatch<TKey, TValue>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    public bool TracksAcknowledgements => true;

    public bool IsStopped => _emitter?.IsStopped ?? false;

    public ChannelReader<ExactlyOnceBatch<TKey, TValue>> Reader => _channel!.Reader;

    public void Bind(BufferCounter buffer) => _buffer = buffer;

    public void Stop() => _emitter?.Stop();

    public void Assigned(PartitionState partition)
    {
    }

    public void Deliver(List<ReceiverRecord<TKey, TValue>> records)
    {
        var loop = _coordinator.Loop!;
        var batch = new ExactlyOnceBatch<TKey, TValue>(records, _coordinator.AppliedEpoch, loop.Consumer.ConsumerGroupMetadata, _coordinator, () => IsStopped);
        if (_channel is not null)
        {
            _channel.Writer.TryWrite(batch);
        }
        else
        {
            _emitter!.Post((batch, null));
        }
    }

    public void Revoked(PartitionState partition)
    {
    }

    public void Fail(Exception error)
    {
        if (_channel is not null)
        {
            _channel.Writer.TryComplete(error);
        }
        else
        {
            _emitter!.Post((null, error));
        }
    }

    public void Complete()
    {
        if (_channel is not null)
        {
            _channel.Writer.TryComplete();
        }
        else
        {
            _emitter!.Post((null, null));
        }
    }

    private void Emit((ExactlyOnceBatch<TKey, TValue>? Batch, Exception? Error) emission)
    {
        if (emission.Batch is { } batch)
        {
            _buffer!.Remove(batch.Records.Count);
            if (!_emitter!.IsStopped && batch.Live().Count > 0)
            {
                _observer!.OnNext(batch);
            }

            return;
        }

        _emitter!.Stop();
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
