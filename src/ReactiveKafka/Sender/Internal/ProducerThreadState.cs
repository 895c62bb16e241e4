using Confluent.Kafka;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The per-thread state of the produce and poll paths. Kept out of the generic <c>ProducerCore</c>: a thread-static
/// field of a generic class is reached through a runtime helper call on every access (about 4 % of the sending
/// thread's CPU in a perf profile), one of a non-generic class by an inlined thread-local read.
/// </summary>
internal static class ProducerThreadState
{
    /// <summary>On a sender's own poll thread: the streams whose results of the current poll wait for one wake.</summary>
    [ThreadStatic]
    public static List<IDeferredWake>? DeferredWakes;

    /// <summary>The message object this thread hands to Confluent (copied into librdkafka before Produce returns).</summary>
    [ThreadStatic]
    public static Message<byte[], byte[]>? Message;

    /// <summary>The last topic partition this thread produced to.</summary>
    [ThreadStatic]
    public static TopicPartition? TopicPartition;
}
