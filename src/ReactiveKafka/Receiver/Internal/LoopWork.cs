using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// A piece of work sent to the consumer loop from another thread; run on the loop thread between polls, the only
/// thread that touches the consumer. Each kind is a small named type.
/// </summary>
internal abstract class LoopWork<TKey, TValue>
{
    /// <summary>Runs on the loop thread.</summary>
    public abstract void Run(ConsumerLoop<TKey, TValue> loop);

    /// <summary>The loop ended before running it.</summary>
    public abstract void Abandon(Exception reason);
}

/// <summary>A <see cref="KafkaReceiver{TKey, TValue}.DoOnConsumer{T}"/> action.</summary>
internal sealed class ConsumerAction<TKey, TValue, T>(Func<IConsumer<TKey, TValue>, T> action) : LoopWork<TKey, TValue>
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Run(ConsumerLoop<TKey, TValue> loop)
    {
        try
        {
            _completion.TrySetResult(action(loop.Consumer));
        }
        catch (Exception error)
        {
            _completion.TrySetException(error);
        }
    }

    public override void Abandon(Exception reason) => _completion.TrySetException(reason);
}

/// <summary>The user pauses or resumes partitions (the <see cref="PauseReasons"/> user set).</summary>
internal sealed class UserPause<TKey, TValue>(IReadOnlyList<TopicPartition> partitions, bool pause) : LoopWork<TKey, TValue>
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _completion.Task;

    public override void Run(ConsumerLoop<TKey, TValue> loop)
    {
        loop.SetUserPaused(partitions, pause);
        _completion.TrySetResult();
    }

    public override void Abandon(Exception reason) => _completion.TrySetException(reason);
}

/// <summary>A <see cref="ReceiverOffset.CommitAsync"/> request.</summary>
internal sealed class CommitRequest<TKey, TValue>(ReceiverOffset offset, TaskCompletionSource completion) : LoopWork<TKey, TValue>
{
    public override void Run(ConsumerLoop<TKey, TValue> loop) => loop.RequestCommit(offset, completion);

    public override void Abandon(Exception reason) => completion.TrySetException(ReceiverOffset.Revoked(offset.TopicPartitionOffset));
}
