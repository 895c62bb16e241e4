using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Peak resident set (VmRSS) of the standalone broker while one consumer reads its whole log from the beginning:
/// a 1 GB log vs a 10 MB log. The broker is restarted for every run (default durable flush).
/// </summary>
public sealed class BrokerMemoryScenario : IScenario
{
    public string Name => "broker-memory";

    public string Description => "broker resident set serving a 1 GB log vs a 10 MB log";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var big = await LogFixture.SharedAsync(context, "log-big", context.Settings.Size(1_000_000_000L, 4_000_000L));
        var small = await LogFixture.SharedAsync(context, "log-small", context.Settings.Size(10_000_000L, 1_000_000L));
        var idle = new List<double>();

        async Task<double> Serve(LogFixture log)
        {
            await using var server = await BrokerServer.StartAsync(log.DataDirectory);
            idle.Add(server.ResidentBytes() / (1024.0 * 1024));
            var peak = 0L;
            using var sampler = new Timer(_ =>
            {
                try
                {
                    var rss = server.ResidentBytes();
                    if (rss > Interlocked.Read(ref peak))
                    {
                        Interlocked.Exchange(ref peak, rss);
                    }
                }
                catch (IOException)
                {
                }
            }, null, 0, 20);
            await Task.Run(() => Clients.ConsumeAll(Clients.ConsumerConfig(server.BootstrapServers), log.Topic, 1, log.Records));
            await sampler.DisposeAsync();
            peak = Math.Max(peak, server.ResidentBytes());
            return peak / (1024.0 * 1024);
        }

        var (a, b, ratios) = await context.AlternateAsync($"{big.Describe()} log", _ => Serve(big), $"{small.Describe()} log", _ => Serve(small));
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{big.Describe()} ({big.Records:N0} × {big.ValueSize} B) vs {small.Describe()} ({small.Records:N0} × {small.ValueSize} B), 1 partition, one consumer reads all from the beginning, standalone broker --flush durable",
            A = new SideResult($"{big.Describe()} log", "MiB", a),
            B = new SideResult($"{small.Describe()} log", "MiB", b),
            Ratios = ratios,
            Target = "ratio ≤ 1.2",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio <= 1.2,
            Extra = { ["RSS just after READY (MiB)"] = Stats.Median(idle) },
            Notes = { "Peak VmRSS of the server process (/proc/<pid>/status) sampled every 20 ms; a fresh server process per run." },
        };
    }
}
