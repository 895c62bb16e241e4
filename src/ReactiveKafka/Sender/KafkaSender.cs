namespace ReactiveKafka;

/// <summary>Creates <see cref="KafkaSender{TKey, TValue}"/> instances.</summary>
public static class KafkaSender
{
    /// <summary>
    /// Creates a sender and its Confluent producer (one producer, shared by every send of the sender).
    /// </summary>
    /// <param name="options">The validated sender options.</param>
    /// <returns>The sender; dispose it to flush and close the producer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">librdkafka rejected a producer property (the message names it), or the options conflict.</exception>
    public static KafkaSender<TKey, TValue> Create<TKey, TValue>(SenderOptions<TKey, TValue> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new KafkaSender<TKey, TValue>(options);
    }
}
