namespace ReactiveKafka.Broker.Storage.Producers;

/// <summary>What a partition remembers of one batch of an idempotent producer: enough to answer a retry of it.</summary>
/// <param name="FirstSequence">The batch's base sequence.</param>
/// <param name="LastSequence">The sequence of its last record (wraps after <see cref="int.MaxValue"/> to 0).</param>
/// <param name="FirstOffset">The offset given to its first record.</param>
/// <param name="LastOffset">The offset given to its last record.</param>
/// <param name="Timestamp">Its max timestamp.</param>
internal readonly record struct BatchMetadata(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, long Timestamp)
{
    /// <summary>The last sequence of a batch: <paramref name="baseSequence"/> plus the offset delta, wrapping as Kafka's <c>incrementSequence</c>.</summary>
    public static int LastSequenceOf(int baseSequence, int lastOffsetDelta) =>
        baseSequence > int.MaxValue - lastOffsetDelta ? lastOffsetDelta - (int.MaxValue - baseSequence) - 1 : baseSequence + lastOffsetDelta;

    /// <summary>Whether <paramref name="next"/> directly follows <paramref name="last"/> (0 follows <see cref="int.MaxValue"/>).</summary>
    public static bool InSequence(int last, int next) => next == last + 1L || (next == 0 && last == int.MaxValue);
}
