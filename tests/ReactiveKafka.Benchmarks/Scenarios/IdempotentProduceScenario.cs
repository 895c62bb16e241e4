using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Idempotent produce vs plain produce into the same standalone bundled broker: the cost of the producer state checks
/// (a lookup and the last-5-batches bookkeeping per batch, under the partition's write lock) and of librdkafka's
/// idempotent mode (at most 5 requests in flight per connection), acks=all, 100 B records. Run once per flush policy:
/// <c>durable</c> (the broker's default, an fsync per group commit) and <c>os</c> (Apache Kafka's default: no fsync per
/// request), so the share of the fsync-bound pipeline is visible beside the broker's own cost.
/// </summary>
/// <param name="flush">The server's <c>--flush</c> policy: <c>durable</c> or <c>os</c>.</param>
public sealed class IdempotentProduceScenario(string flush) : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;

    public string Name => flush == "durable" ? "idempotent-produce" : $"idempotent-produce-{flush}";

    public string Description => $"idempotent produce (enable.idempotence=true) vs plain produce into the bundled broker (--flush {flush})";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory(Name), flush: flush, partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var brokerCpu = new Dictionary<string, List<double>>();
        var perRequest = new Dictionary<string, List<double>>();
        var rttMs = new Dictionary<string, List<double>>();

        // plain-5: plain produce capped at the 5 requests in flight an idempotent producer may have, the same pipeline
        // depth without the sequence checks: it tells the pipeline's share of the gap from the broker's.
        Task<double> Run(string side, int run) => Task.Run(() =>
        {
            var config = Clients.ProducerConfig(server.BootstrapServers);
            config.EnableIdempotence = side == "idempotent";
            if (side == "plain-5")
            {
                config.MaxInFlight = 5;
            }

            config.StatisticsIntervalMs = 200;
            string? statistics = null;
            var cpuBefore = server.CpuSeconds();
            using var producer = new ProducerBuilder<Null, byte[]>(config).SetStatisticsHandler((_, json) => statistics = json).Build();
            var elapsed = Clients.ProduceAll(producer, Clients.Topic("idempotent"), count, value);
            if (run >= 0)
            {
                Add(brokerCpu, side, server.CpuSeconds() - cpuBefore);
                if (ProduceStatistics.Read(statistics) is { } stats)
                {
                    Add(perRequest, side, stats.RecordsPerRequest);
                    Add(rttMs, side, stats.RttMs);
                }
            }

            return count / elapsed.TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("idempotent", run => Run("idempotent", run), "plain", run => Run("plain", run), warmups: context.Smoke ? 0 : 1);
        var capped = new double[context.Runs];
        for (var i = 0; i < context.Runs; i++)
        {
            capped[i] = await Run("plain-5", i);
            context.Log($"run {i + 1}/{context.Runs} plain, max.in.flight 5: {capped[i]:G4}");
        }

        var ratio = Stats.Median(ratios);
        string Side(string side) =>
            $"{side} {Median(brokerCpu, side):0.00} s broker CPU, {Median(perRequest, side):0} records per Produce request, rtt {Median(rttMs, side):0.0} ms";
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, raw Produce + handler, --flush {flush}",
            A = new SideResult("idempotent", "rec/s", a),
            B = new SideResult("plain", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.95",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.95,
            Notes =
            {
                $"Both sides use the same standalone server (--flush {flush}) and the same producer settings; only enable.idempotence differs (librdkafka then also caps max.in.flight at 5, so fewer produce requests share each group-commit fsync, and tracks every message: more client CPU).",
                $"Plain produce with max.in.flight 5 (after the alternation, same server): {Stats.Median(capped):N0} rec/s median ({capped.Min():N0}–{capped.Max():N0}); idempotent / that: {Stats.Median(a) / Stats.Median(capped):0.00}. Close to 1 means the in-flight cap, not the broker's sequence checks, costs the difference.",
                $"Per run (medians; requests and rtt from librdkafka's statistics): {Side("idempotent")}; {Side("plain")}; {Side("plain-5")}.",
            },
        };
    }

    private static void Add(Dictionary<string, List<double>> values, string side, double value)
    {
        if (!values.TryGetValue(side, out var list))
        {
            values[side] = list = [];
        }

        list.Add(value);
    }

    private static double Median(Dictionary<string, List<double>> values, string side) =>
        values.TryGetValue(side, out var list) && list.Count > 0 ? Stats.Median(list.ToArray()) : double.NaN;
}
