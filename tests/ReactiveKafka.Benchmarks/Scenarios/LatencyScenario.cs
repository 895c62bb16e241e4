using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// End-to-end latency produce → receive at a fixed rate: KafkaSender + KafkaReceiver vs raw producer + raw consumer,
/// against the standalone broker with its default durable flush. Each record carries its send time.
/// </summary>
public sealed class LatencyScenario : IScenario
{
    private const int ValueSize = PacedPipeline.ValueSize;
    private const int Rate = 10_000;

    public string Name => "latency";

    public string Description => $"end-to-end latency at {Rate:N0} rec/s: KafkaSender→KafkaReceiver vs raw";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var measured = context.Settings.Count(50_000);
        var warmup = context.Smoke ? 100 : 5_000;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("latency"), flush: "durable", partitions: 1);
        var percentiles = new PercentileSeries();

        async Task<double> Reactive(int run)
        {
            var (sorted, _) = await PacedPipeline.RunAsync(server.BootstrapServers, "latency", Rate, warmup, measured, reactive: true);
            if (run >= 0)
            {
                percentiles.Add("SDK", sorted);
            }

            return Stats.Percentile(sorted, 0.99);
        }

        async Task<double> Raw(int run)
        {
            var (sorted, _) = await PacedPipeline.RunAsync(server.BootstrapServers, "latency", Rate, warmup, measured, reactive: false);
            if (run >= 0)
            {
                percentiles.Add("raw", sorted);
            }

            return Stats.Percentile(sorted, 0.99);
        }

        var (a, b, ratios) = await context.AlternateAsync("KafkaSender→KafkaReceiver", Reactive, "raw producer→consumer", Raw, warmups: context.Smoke ? 0 : 1);
        var p99 = Stats.Median(a);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{Rate:N0} rec/s, {measured:N0} measured records (+{warmup:N0} warm-up) × {ValueSize} B, 1 partition, acks=all, linger 0, standalone broker --flush durable",
            A = new SideResult("SDK p99", "ms", a),
            B = new SideResult("raw p99", "ms", b),
            Ratios = ratios,
            Target = "SDK p99 ≤ 5 ms",
            Checked = $"median p99 {Report.F(p99)} ms",
            Met = context.Smoke ? null : p99 <= 5,
            Notes = { "Latency from the producing call to the subscriber/Consume return, one process (same clock); extra figures are medians over runs." },
        };
        percentiles.AddMediansTo(result.Extra);

        return result;
    }
}
