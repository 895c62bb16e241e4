namespace ReactiveKafka;

/// <summary>Creates <see cref="KafkaReceiver{TKey, TValue}"/> instances.</summary>
public static class KafkaReceiver
{
    /// <summary>
    /// Creates a receiver. No consumer exists yet: each subscription (one at a time) builds its own, owned by a
    /// dedicated loop thread, and releases it when the subscription ends.
    /// </summary>
    /// <param name="options">The receiver options.</param>
    /// <returns>The receiver.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options break a rule between options (the message names them).</exception>
    public static KafkaReceiver<TKey, TValue> Create<TKey, TValue>(ReceiverOptions<TKey, TValue> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new KafkaReceiver<TKey, TValue>(options);
    }
}
