using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// What partitions and idle connections cost the broker in resident memory, and what idle connections cost it in
/// CPU: a fresh standalone broker per run; a topic of 10, then 100, then 1,000 partitions in total (one record written
/// to each partition, so each has a segment with data); then 10, 100, 1,000 idle connections (plain TCP, one
/// ApiVersions each). RSS is read after each step has settled.
/// </summary>
public sealed class BrokerFootprintScenario : IScenario
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);

    public string Name => "scale-footprint";

    public string Description => "broker RSS with 1,000 partitions and 1,000 idle connections; CPU while they idle";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        int[] sizes = context.Smoke ? [10, 100] : [10, 100, 1000];
        var perPartition = new ScaleSeries("RSS added per partition", "KiB", "partitions", sizes);
        var perConnection = new ScaleSeries("RSS added per idle connection", "KiB", "connections", sizes);
        var idleCpu = new ScaleSeries("broker CPU while the connections idle", "% of a core", "connections", sizes);
        var totals = new List<double>();
        var idle = new List<double>();
        for (var run = 0; run < context.Runs; run++)
        {
            await using var server = await BrokerServer.StartAsync(context.NewDirectory("scale-footprint"), flush: "durable", partitions: 1,
                extraArguments: ["--max-connections", "5000"]);
            await Task.Delay(Settle);
            var baseline = server.ResidentBytes();
            idle.Add(baseline / (1024.0 * 1024));

            var created = 0;
            foreach (var partitions in sizes)
            {
                var topic = Clients.Topic($"footprint{partitions}");
                await Admin.CreateTopicAsync(server.BootstrapServers, topic, partitions - created);
                await Task.Run(() => Clients.Fill(server.BootstrapServers, topic, partitions - created, 100, partitions - created));
                created = partitions;
                await Task.Delay(Settle);
                perPartition.Add(partitions, (server.ResidentBytes() - baseline) / 1024.0 / partitions);
            }

            var withPartitions = server.ResidentBytes();
            using var connections = new IdleConnections();
            foreach (var count in sizes)
            {
                await connections.OpenAsync(server.BootstrapServers, count - connections.Count);
                await Task.Delay(Settle);
                perConnection.Add(count, (server.ResidentBytes() - withPartitions) / 1024.0 / count);
                var cpu = server.CpuSeconds();
                await Task.Delay(IdleWindow);
                idleCpu.Add(count, (server.CpuSeconds() - cpu) / IdleWindow.TotalSeconds * 100);
            }

            totals.Add(server.ResidentBytes() / (1024.0 * 1024));
            context.Log($"run {run + 1}/{context.Runs}: {totals[^1]:0} MiB with {sizes[^1]:N0} partitions and {sizes[^1]:N0} idle connections (idle broker {idle[^1]:0} MiB)");
        }

        var result = perPartition.Result(Name,
            $"{string.Join(", ", sizes.Select(s => s.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} partitions (1 record each), then as many idle TCP connections (one ApiVersions each), a fresh standalone broker (--flush durable, --max-connections 5000) per run",
            context.Smoke, [perConnection, idleCpu],
            [$"VmRSS of the server process {Settle.TotalSeconds:0} s after each step; idle CPU over {IdleWindow.TotalSeconds:0} s. A per-unit figure that stays flat means the total grows linearly."]);
        result.Extra[$"broker RSS with {sizes[^1]} partitions and {sizes[^1]} idle connections (MiB)"] = Stats.Median(totals);
        result.Extra["broker RSS just after READY (MiB)"] = Stats.Median(idle);
        return result;
    }
}
