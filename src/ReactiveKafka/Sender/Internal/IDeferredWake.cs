namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// A send stream whose emitter wake the sender's poll thread may defer to the end of a poll, so that one poll's
/// results cost one hand-off (<see cref="ProducerCore{TKey, TValue}.DeferWake"/>).
/// </summary>
internal interface IDeferredWake
{
    /// <summary>Set while the stream is in the current poll's list; read and written by the poll thread only.</summary>
    bool WakeDeferred { get; set; }

    /// <summary>The poll ended with results of this stream queued: hand them to the emitter. Must not block.</summary>
    void Wake();
}
