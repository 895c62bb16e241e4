namespace ReactiveKafka;

/// <summary>Checks of librdkafka client properties shared by the sender's and the receiver's options. Thread-safe (stateless).</summary>
internal static class ClientPropertyChecks
{
    /// <summary>
    /// Requires <c>bootstrap.servers</c> (or its librdkafka alias <c>metadata.broker.list</c>): without it librdkafka
    /// starts anyway and waits for a broker forever, so a receiver would never receive and a send would wait
    /// <c>message.timeout.ms</c> (300 s) without a word. librdkafka's in-process mock cluster
    /// (<c>test.mock.num.brokers</c>) brings its own servers.
    /// </summary>
    /// <param name="properties">The client properties.</param>
    /// <param name="options">The options type, for the message: <c>ReceiverOptions</c>.</param>
    /// <param name="parameter">The properties' option name: <c>ConsumerProperties</c>.</param>
    /// <exception cref="ArgumentException">None is set; the message names <c>bootstrap.servers</c>.</exception>
    public static void RequireBootstrapServers(IReadOnlyDictionary<string, string> properties, string options, string parameter)
    {
        if (!Has(properties, "bootstrap.servers") && !Has(properties, "metadata.broker.list") && !Has(properties, "test.mock.num.brokers"))
        {
            throw new ArgumentException(
                $"{options}.{parameter} 'bootstrap.servers' is required: the brokers to connect to first (host:port, comma-separated).",
                parameter);
        }
    }

    private static bool Has(IReadOnlyDictionary<string, string> properties, string key) =>
        properties.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value);
}
