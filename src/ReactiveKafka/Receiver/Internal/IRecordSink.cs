namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Where the consumer loop hands what it polled, one implementation per receive mode. Called only on the loop thread;
/// implementations hand the work to the subscriber's side and never block.
/// </summary>
internal interface IRecordSink<TKey, TValue>
{
    /// <summary>True when emitted records wait for acknowledgements (false for at-most-once).</summary>
    bool TracksAcknowledgements { get; }

    /// <summary>A partition's ownership period starts.</summary>
    void Assigned(PartitionState partition);

    /// <summary>One poll's records, already counted in the loop's <see cref="BufferCounter"/>.</summary>
    void Deliver(List<ReceiverRecord<TKey, TValue>> records);

    /// <summary>A partition's ownership period ended: its buffered records must not be emitted.</summary>
    void Revoked(PartitionState partition);

    /// <summary>The loop ended with an error, after releasing the consumer.</summary>
    void Fail(Exception error);

    /// <summary>The loop ended without an error, after releasing the consumer.</summary>
    void Complete();
}
