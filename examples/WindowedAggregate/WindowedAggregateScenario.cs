using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace WindowedAggregate;

/// <summary>
/// Page views counted per page and minute; the counter stops halfway, the broker restarts, a new counter restores
/// its state from the compacted changelog and finishes; the counts must equal those computed straight from the input.
/// </summary>
public static class WindowedAggregateScenario
{
    private const int Views = 120;

    public static async Task<bool> RunAsync(string bootstrapServers, Func<Task<string>> restartBroker, TextWriter output, CancellationToken cancellationToken = default)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var input = "page-views-" + suffix;
        var changelog = "page-view-counts-changelog-" + suffix;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([
                new TopicSpecification { Name = input, NumPartitions = 2, ReplicationFactor = 1 },
                new TopicSpecification { Name = changelog, NumPartitions = 2, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } },
            ]);
        }

        // 120 views, 1.5 s apart from 12:00:00: windows 12:00, 12:01 and 12:02.
        var start = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        string[] pages = ["home", "cart", "help"];
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build())
        {
            for (var i = 0; i < Views; i++)
            {
                var page = pages[i * 7 % 5 % 3];
                var at = start + TimeSpan.FromSeconds(1.5 * i);
                producer.Produce(input, new Message<string, string> { Key = page, Value = "user-" + (i % 11), Timestamp = new Timestamp(at) });
                var window = at.ToUnixTimeMilliseconds() / 60_000 * 60_000;
                expected[$"{page}@{window}"] = expected.GetValueOrDefault($"{page}@{window}") + 1;
            }

            producer.Flush(cancellationToken);
        }

        var first = new WindowedCounter();
        await first.RunAsync(bootstrapServers, input, changelog, stopAfter: Views / 2, cancellationToken);
        output.WriteLine($"first counter stopped after {first.Counted} views");

        bootstrapServers = await restartBroker();
        output.WriteLine("broker restarted");

        var second = new WindowedCounter();
        await second.RestoreAsync(bootstrapServers, changelog, cancellationToken);
        output.WriteLine($"second counter restored {second.Counts.Count} window counts ({second.Counts.Values.Sum()} views) from {changelog}");
        var left = Views - (int)second.Counts.Values.Sum();
        await second.RunAsync(bootstrapServers, input, changelog, stopAfter: left, cancellationToken);
        output.WriteLine($"second counter counted {second.Counted} more views, skipped {second.Skipped} already in the changelog");

        foreach (var (key, count) in second.Counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var at = key.Split('@');
            output.WriteLine($"  {at[0],-5} {DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(at[1], System.Globalization.CultureInfo.InvariantCulture)):HH:mm}  {count,3}");
        }

        var ok = expected.Count == second.Counts.Count && expected.All(e => second.Counts.GetValueOrDefault(e.Key) == e.Value);
        output.WriteLine(ok ? $"all {expected.Count} window counts match the input ({Views} views, none lost or counted twice)." : "window counts differ from the input");
        return ok;
    }
}
