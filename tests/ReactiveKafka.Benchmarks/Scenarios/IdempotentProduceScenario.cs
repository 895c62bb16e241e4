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
        var brokerCpu = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };

        Task<double> Run(bool idempotent, int run) => Task.Run(() =>
        {
            var config = Clients.ProducerConfig(server.BootstrapServers);
            config.EnableIdempotence = idempotent;
            var cpuBefore = server.CpuSeconds();
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            var elapsed = Clients.ProduceAll(producer, Clients.Topic("idempotent"), count, value);
            if (run >= 0)
            {
                brokerCpu[idempotent].Add(server.CpuSeconds() - cpuBefore);
            }

            return count / elapsed.TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("idempotent", run => Run(true, run), "plain", run => Run(false, run), warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
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
                $"Broker process CPU per run (median): idempotent {Stats.Median(brokerCpu[true].ToArray()):0.00} s, plain {Stats.Median(brokerCpu[false].ToArray()):0.00} s: the broker's producer state checks are what this broker adds.",
            },
        };
    }
}
