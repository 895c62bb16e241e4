namespace ReactiveKafka.Receiver.Internal;

/// <summary>Where <see cref="ReceiverOffset"/> hands acknowledgements and commit requests: the consumer loop's inbox. Thread-safe.</summary>
internal interface IAcknowledgementSink
{
    /// <summary>Queues a first acknowledgement for the loop.</summary>
    void Acknowledged(ReceiverOffset offset);

    /// <summary>Counts an acknowledgement dropped because its record's partition is no longer owned.</summary>
    void AcknowledgementDropped();

    /// <summary>Queues a request to commit up to (and including) <paramref name="offset"/> as soon as the partition allows.</summary>
    void CommitRequested(ReceiverOffset offset, TaskCompletionSource completion);
}
