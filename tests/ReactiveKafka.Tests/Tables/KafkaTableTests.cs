using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Testing;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.Tables;

/// <summary><see cref="KafkaTable{TKey, TValue}"/> over compacted topics of the bundled broker.</summary>
public sealed class KafkaTableTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, string> Compacted = new() { ["cleanup.policy"] = "compact" };

    [Fact]
    public async Task The_table_catches_up_with_the_latest_value_of_every_key()
    {
        var topic = await broker.Broker.CreateTopicAsync(3, Compacted, TestContext.Current.CancellationToken);
        await ProduceAsync(topic, ("a", "1"), ("b", "1"), ("a", "2"), ("c", "1"), ("c", null), ("d", "1"));

        await using var table = await KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken);
        await table.WhenCaughtUpAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(table.IsCaughtUp);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["b"] = "1", ["d"] = "1" }, table.Snapshot());
        Assert.True(table.TryGetValue("a", out var a));
        Assert.Equal("2", a);
        Assert.False(table.TryGetValue("c", out _));
        Assert.Equal(6, table.AppliedRecords);
    }

    [Fact]
    public async Task An_empty_topic_is_caught_up_at_once()
    {
        var topic = await broker.Broker.CreateTopicAsync(2, Compacted, TestContext.Current.CancellationToken);
        await using var table = await KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken);
        await table.WhenCaughtUpAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task The_table_follows_updates_and_tombstones_and_emits_them_as_changes()
    {
        var topic = await broker.Broker.CreateTopicAsync(1, Compacted, TestContext.Current.CancellationToken);
        await ProduceAsync(topic, ("a", "1"), ("b", "1"));
        await using var table = await KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken);
        await table.WhenCaughtUpAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var changes = new ConcurrentQueue<TableChange<string, string>>();
        using var subscription = table.Changes.Subscribe(changes.Enqueue);

        await ProduceAsync(topic, ("a", "2"), ("b", null), ("c", "1"), ("zz", null));
        await ReceiverTestKit.WaitUntil(() => changes.Count == 3, Timeout, () => $"3 changes, saw {changes.Count}");

        Assert.Equal(
            [
                (TableChangeKind.Updated, "a", "1", "2"),
                (TableChangeKind.Deleted, "b", "1", null),
                (TableChangeKind.Inserted, "c", null, "1"),
            ],
            changes.Select(c => (c.Kind, c.Key, c.OldValue, c.NewValue)));
        Assert.All(changes, c => Assert.False(c.IsRestoring));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["c"] = "1" }, table.Snapshot());
    }

    [Fact]
    public async Task A_table_started_again_after_a_broker_restart_restores_the_same_view_and_tombstoned_keys_stay_gone()
    {
        var topic = await broker.Broker.CreateTopicAsync(2, Compacted, TestContext.Current.CancellationToken);
        await ProduceAsync(topic, [.. Enumerable.Range(0, 200).Select(i => ("k" + (i % 50), (string?)("v" + i)))]);
        await ProduceAsync(topic, ("k7", null), ("k8", null));
        IReadOnlyDictionary<string, string> before;
        await using (var table = await KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken))
        {
            await table.WhenCaughtUpAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            before = table.Snapshot();
        }

        Assert.Equal(48, before.Count);
        Assert.Equal("v199", before["k49"]);
        if (broker.Broker.Kind == KafkaTestBrokerKind.Bundled)
        {
            // Only the bundled broker restarts; against another broker the table is still started afresh.
            await broker.Broker.RestartAsync(TestContext.Current.CancellationToken);
        }

        await using var restored = await KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken);
        await restored.WhenCaughtUpAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(before, restored.Snapshot());
    }

    [Fact]
    public async Task A_table_over_a_topic_that_is_not_compacted_is_refused_naming_the_topic_and_its_policy()
    {
        var topic = await broker.CreateTopicAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken));
        Assert.Contains($"'{topic}' is not compacted (cleanup.policy=delete)", error.Message);
    }

    [Fact]
    public async Task A_table_over_a_missing_topic_is_refused_naming_it()
    {
        var topic = "no-such-table-" + Guid.NewGuid().ToString("N");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => KafkaTable<string, string>.StartAsync(Options(topic), TestContext.Current.CancellationToken));
        Assert.Contains($"'{topic}' does not exist", error.Message);
    }

    private KafkaTableOptions<string, string> Options(string topic) => new(new ConsumerConfig { BootstrapServers = broker.BootstrapServers }, topic);

    private async Task ProduceAsync(string topic, params (string Key, string? Value)[] records)
    {
        using var producer = new ProducerBuilder<string, string?>(broker.ProducerConfig()).Build();
        foreach (var (key, value) in records)
        {
            await producer.ProduceAsync(topic, new Message<string, string?> { Key = key, Value = value }, TestContext.Current.CancellationToken);
        }
    }
}
