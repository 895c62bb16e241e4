using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// What the SDK costs at a trickle: KafkaSender + KafkaReceiver in one process against a raw producer (delivery
/// handler) + raw consumer (Consume loop), at 1 k, 10 k and 100 k records/s. Reports this process's CPU per 100 k
/// records while records flow (the broker is another process) and the end-to-end latency percentiles.
/// </summary>
/// <remarks>
/// The cost at a low rate is dominated by hand-offs between threads, not by work per record: a hand-off that wakes a
/// thread-pool worker for a few records costs the wake and the worker's spinning before it sleeps again.
/// </remarks>
public sealed class TrickleScenario : IScenario
{
    private const int ValueSize = PacedPipeline.ValueSize;
    private static readonly int[] Rates = [1_000, 10_000, 100_000];

    public string Name => "trickle";

    public string Description => "CPU per 100k records and latency at 1k/10k/100k rec/s: KafkaSender→KafkaReceiver vs raw";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var seconds = context.Smoke ? 0.3 : 5.0;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("trickle"), flush: "os", partitions: 1);
        var extra = new Dictionary<string, List<double>>();
        var sdk10k = new List<double>();
        var raw10k = new List<double>();

        void Keep(string key, double value)
        {
            if (!extra.TryGetValue(key, out var list))
            {
                extra[key] = list = [];
            }

            list.Add(value);
        }

        if (!context.Smoke)
        {
            context.Log("warm-up");
            await MeasureAsync(server.BootstrapServers, 10_000, 1.0, reactive: true);
            await MeasureAsync(server.BootstrapServers, 10_000, 1.0, reactive: false);
        }

        for (var run = 0; run < context.Runs; run++)
        {
            foreach (var rate in Rates)
            {
                foreach (var reactive in new[] { true, false })
                {
                    var side = reactive ? "SDK" : "raw";
                    var (sorted, cost, count) = await MeasureAsync(server.BootstrapServers, rate, seconds, reactive);
                    var per100k = cost.CpuSeconds / count * 100_000;
                    var label = $"{rate / 1000}k/s";
                    Keep($"{side} {label} cpu s/100k", per100k);
                    Keep($"{side} {label} p50 ms", Stats.Percentile(sorted, 0.50));
                    Keep($"{side} {label} p99 ms", Stats.Percentile(sorted, 0.99));
                    if (rate == 10_000)
                    {
                        (reactive ? sdk10k : raw10k).Add(per100k);
                    }

                    context.Log($"run {run + 1}/{context.Runs} {side} {label}: {per100k:0.00} s/100k, p50 {Stats.Percentile(sorted, 0.5):0.00} ms, p99 {Stats.Percentile(sorted, 0.99):0.00} ms ({cost})");
                }
            }
        }

        var ratios = sdk10k.Zip(raw10k, (a, b) => a / b).ToArray();
        var ratio = Stats.Median(ratios);
        var p99 = Stats.Median(extra["SDK 10k/s p99 ms"]);
        var rawP99 = Stats.Median(extra["raw 10k/s p99 ms"]);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{string.Join(", ", Rates.Select(r => $"{r:N0}"))} rec/s for {seconds:0.#} s each × {ValueSize} B, 1 partition, acks=all, linger 0, standalone broker --flush os",
            A = new SideResult("SDK cpu at 10k/s", "s/100k", [.. sdk10k]),
            B = new SideResult("raw cpu at 10k/s", "s/100k", [.. raw10k]),
            Ratios = ratios,
            Target = "CPU ratio at 10k/s ≤ 1.5, SDK p99 ≤ max(5 ms, raw p99)",
            Checked = $"median CPU ratio {Report.F(ratio)}, SDK p99 {Report.F(p99)} ms (raw {Report.F(rawP99)} ms)",
            Met = context.Smoke ? null : ratio <= 1.5 && p99 <= Math.Max(5, rawP99),
            Notes =
            {
                "CPU of this process (sender and receiver, or raw producer and consumer) from the first paced record to the last one received, per 100 k records; latency from the producing call to the subscriber/Consume return; extra figures are medians over runs, the rates run in turn within each run.",
            },
        };
        foreach (var (key, values) in extra.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result.Extra[key] = Stats.Median(values);
        }

        return result;
    }

    /// <summary>
    /// Sends records at <paramref name="rate"/> for <paramref name="seconds"/> (no warm-up within the run) and receives
    /// them; returns the sorted latencies (ms), this process's cost while they flowed, and the record count.
    /// </summary>
    private static async Task<(double[] Sorted, RunCost Cost, int Count)> MeasureAsync(string bootstrap, int rate, double seconds, bool reactive)
    {
        var total = (int)(rate * seconds);
        var (sorted, cost) = await PacedPipeline.RunAsync(bootstrap, "trickle", rate, warmup: 0, measured: total, reactive);
        return (sorted, cost, total);
    }
}
