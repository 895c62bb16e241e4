using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka;

namespace Table;

/// <summary>
/// A price list as a table: prices are written to a compacted topic (a new price replaces the old one, a tombstone
/// withdraws an item); a <see cref="KafkaTable{TKey, TValue}"/> catches up, answers lookups, follows live changes, and
/// after a broker restart a new table restores the same view from the topic.
/// </summary>
public static class TableScenario
{
    public static async Task<bool> RunAsync(string bootstrapServers, Func<Task<string>> restartBroker, TextWriter output, CancellationToken cancellationToken = default)
    {
        var topic = "prices-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = 3,
                ReplicationFactor = 1,
                Configs = new() { ["cleanup.policy"] = "compact" },
            }]);
        }

        await ProduceAsync(bootstrapServers, topic, cancellationToken, ("apple", "1.10"), ("pear", "0.90"), ("plum", "2.00"), ("apple", "1.20"), ("kiwi", "0.50"));

        IReadOnlyDictionary<string, string> before;
        await using (var prices = await KafkaTable<string, string>.StartAsync(Options(bootstrapServers, topic), cancellationToken))
        {
            await prices.WhenCaughtUpAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            output.WriteLine($"caught up: {Show(prices.Snapshot())}");
            prices.TryGetValue("apple", out var apple);
            output.WriteLine($"lookup apple = {apple}");

            var changes = new List<TableChange<string, string>>();
            var three = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (prices.Changes.Subscribe(change =>
            {
                output.WriteLine($"change: {change.Kind} {change.Key} {change.OldValue ?? "-"} -> {change.NewValue ?? "-"} ({change.Offset})");
                changes.Add(change);
                if (changes.Count == 3)
                {
                    three.TrySetResult();
                }
            }))
            {
                await ProduceAsync(bootstrapServers, topic, cancellationToken, ("pear", "0.95"), ("plum", null), ("fig", "3.00"));
                await three.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            before = prices.Snapshot();
        }

        bootstrapServers = await restartBroker();
        output.WriteLine("broker restarted");
        await using var restored = await KafkaTable<string, string>.StartAsync(Options(bootstrapServers, topic), cancellationToken);
        await restored.WhenCaughtUpAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        output.WriteLine($"restored: {Show(restored.Snapshot())}");

        var expected = new Dictionary<string, string> { ["apple"] = "1.20", ["pear"] = "0.95", ["kiwi"] = "0.50", ["fig"] = "3.00" };
        var ok = Same(before, expected) && Same(restored.Snapshot(), expected);
        output.WriteLine(ok ? "the table restored the same 4 prices (plum withdrawn)." : "unexpected table contents");
        return ok;
    }

    private static KafkaTableOptions<string, string> Options(string bootstrapServers, string topic) =>
        new(new ConsumerConfig { BootstrapServers = bootstrapServers }, topic);

    private static bool Same(IReadOnlyDictionary<string, string> actual, Dictionary<string, string> expected) =>
        actual.Count == expected.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v == e.Value);

    private static string Show(IReadOnlyDictionary<string, string> view) =>
        string.Join(", ", view.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private static async Task ProduceAsync(string bootstrapServers, string topic, CancellationToken cancellationToken, params (string Key, string? Value)[] records)
    {
        using var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build();
        foreach (var (key, value) in records)
        {
            await producer.ProduceAsync(topic, new Message<string, string?> { Key = key, Value = value }, cancellationToken);
        }
    }
}
