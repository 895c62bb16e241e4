using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Produce throughput into the bundled broker (standalone process, default durable flush) vs librdkafka's in-process
/// mock cluster: the same raw producer (delivery handler), acks=all, 100 B records.
/// </summary>
public sealed class BrokerProduceScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4; // the mock cluster auto-creates 4 partitions: the bundled broker gets the same

    public string Name => "broker-produce";

    public string Description => "produce into the standalone bundled broker (durable) vs the librdkafka mock cluster";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("broker-produce"), flush: "durable", partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var brokerCpu = new List<double>();

        Task<double> Bundled(int run) => Task.Run(() =>
        {
            var topic = Clients.Topic("produce");
            var cpuBefore = server.CpuSeconds();
            using var producer = new ProducerBuilder<Null, byte[]>(Clients.ProducerConfig(server.BootstrapServers)).Build();
            var elapsed = Clients.ProduceAll(producer, topic, count, value);
            if (run >= 0)
            {
                brokerCpu.Add(server.CpuSeconds() - cpuBefore);
            }

            return count / elapsed.TotalSeconds;
        });

        Task<double> Mock(int run) => Task.Run(() =>
        {
            var topic = Clients.Topic("produce");
            var (producer, _) = Clients.MockCluster(Clients.ProducerConfig("mock:0"));
            using (producer)
            {
                var elapsed = Clients.ProduceAll(producer, topic, count, value);
                return count / elapsed.TotalSeconds;
            }
        });

        var (a, b, ratios) = await context.AlternateAsync("bundled (durable)", Bundled, "mock cluster", Mock, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, raw Produce + handler",
            A = new SideResult("bundled (durable)", "rec/s", a),
            B = new SideResult("mock cluster", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.8",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.8,
            Notes =
            {
                "The bundled broker is the standalone server (its own process, --flush durable: acks=all waits for fsync with group commit); the mock cluster lives in the producer's own client instance (no fsync, keeps ~5 MiB per partition).",
                $"Broker process CPU per bundled run (median): {Stats.Median(brokerCpu.ToArray()):0.00} s.",
            },
        };
    }
}
