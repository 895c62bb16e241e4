namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// Where a record's result goes. Called once per record, from librdkafka's poll thread (delivery reports), the
/// sending thread (serializer or produce failures) or the closing thread: implementations must not block.
/// </summary>
internal interface IResultSink<TCorrelation>
{
    void OnResult(SenderResult<TCorrelation> result);
}
