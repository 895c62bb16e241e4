namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// Told when a transaction of a <see cref="KafkaTransactionManager"/> ends, on its transaction thread before the
/// call's task completes (so that whoever awaits the call sees the listener's effects). Must not throw or block long.
/// </summary>
internal interface ITransactionListener
{
    /// <summary>Transaction <paramref name="transaction"/> committed.</summary>
    void Committed(long transaction);

    /// <summary>Transaction <paramref name="transaction"/> aborted.</summary>
    void Aborted(long transaction);
}
