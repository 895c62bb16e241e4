namespace ReactiveKafka.Sender.Internal;

/// <summary>A running send stream, as its sender sees it when closing.</summary>
internal interface ISendStream
{
    /// <summary>Stops taking records; records in flight still get their results, then the stream fails with <paramref name="reason"/>.</summary>
    void OnSenderClosing(ObjectDisposedException reason);

    /// <summary>Records of this stream handed to the producer and still waiting for their result.</summary>
    int Waiting();

    /// <summary>Fails this stream's records still waiting for their result (the close, after its flush).</summary>
    void FailInFlight(TimeSpan closeTimeout);
}
