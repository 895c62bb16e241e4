namespace ReactiveKafka;

/// <summary>
/// A sender's settings as bound from a configuration section (e.g. <c>Kafka:Senders:orders</c>): the librdkafka
/// producer properties and the <see cref="SenderOptions{TKey, TValue}"/> values that can be written as text. Unset
/// values keep the options' defaults. Checked when the host starts; an error names the configuration key.
/// </summary>
/// <example>
/// <code language="json"><![CDATA[
/// "Kafka": { "Senders": { "orders": {
///   "Producer": { "bootstrap.servers": "127.0.0.1:9092", "linger.ms": "5" },
///   "MaxInFlight": 4096
/// } } }
/// ]]></code>
/// </example>
public sealed class KafkaSenderSettings
{
    /// <summary>librdkafka producer properties, by their librdkafka names; <c>bootstrap.servers</c> is required.</summary>
    public Dictionary<string, string> Producer { get; set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="SenderOptions{TKey, TValue}.MaxInFlight"/>.</summary>
    public int? MaxInFlight { get; set; }

    /// <summary><see cref="SenderOptions{TKey, TValue}.StopOnError"/>.</summary>
    public bool? StopOnError { get; set; }

    /// <summary><see cref="SenderOptions{TKey, TValue}.CloseTimeout"/>.</summary>
    public TimeSpan? CloseTimeout { get; set; }

    /// <summary>
    /// <see cref="SenderOptions{TKey, TValue}.TransactionOperationTimeout"/> (transactional senders: set
    /// <c>transactional.id</c> in <see cref="Producer"/>).
    /// </summary>
    public TimeSpan? TransactionOperationTimeout { get; set; }
}
