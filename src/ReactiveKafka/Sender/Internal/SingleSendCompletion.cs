namespace ReactiveKafka.Sender.Internal;

/// <summary>The result of a single-record send: a task completed off the poll thread.</summary>
internal sealed class SingleSendCompletion<TKey, TValue, TCorrelation>(ProducerCore<TKey, TValue> core)
    : TaskCompletionSource<SenderResult<TCorrelation>>(TaskCreationOptions.RunContinuationsAsynchronously), IResultSink<TCorrelation>
{
    public void OnResult(SenderResult<TCorrelation> result)
    {
        core.Settled();
        TrySetResult(result);
    }
}
