using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Consume throughput (raw Consume loop, assigned partitions from the beginning) from the bundled broker vs from the
/// librdkafka mock cluster. The mock keeps only ~5 MiB per partition, so its side reads fewer records (stated).
/// </summary>
public sealed class BrokerConsumeScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;
    private const int MockPerPartition = 40_000; // 40k × ~100 B stays under the mock's ~5 MiB per partition

    public string Name => "broker-consume";

    public string Description => "consume 100 B records from the standalone bundled broker vs the mock cluster";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        var mockCount = Math.Min(count, MockPerPartition * Partitions);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("broker-consume"), flush: "durable", partitions: Partitions);
        var topic = Clients.Topic("consume");
        context.Log($"filling bundled broker with {count:N0} records");
        Clients.Fill(server.BootstrapServers, topic, count, ValueSize, Partitions);

        context.Log($"filling mock cluster with {mockCount:N0} records");
        var (mockProducer, mockBootstrap) = Clients.MockCluster(Clients.ProducerConfig("mock:0"));
        using var keepMockAlive = mockProducer;
        var mockTopic = Clients.Topic("consume");
        Clients.ProduceAll(mockProducer, mockTopic, mockCount, Clients.Payload(ValueSize), Partitions);

        Task<double> Bundled(int run) => Task.Run(() =>
        {
            var (elapsed, _) = Clients.ConsumeAll(Clients.ConsumerConfig(server.BootstrapServers), topic, Partitions, count);
            return (count - 1) / elapsed.TotalSeconds;
        });

        Task<double> Mock(int run) => Task.Run(() =>
        {
            var (elapsed, _) = Clients.ConsumeAll(Clients.ConsumerConfig(mockBootstrap), mockTopic, Partitions, mockCount);
            return (mockCount - 1) / elapsed.TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("bundled (durable)", Bundled, "mock cluster", Mock, warmups: context.Smoke ? 0 : 1);
        var median = Stats.Median(a);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"bundled: {count:N0} × {ValueSize} B; mock: {mockCount:N0} × {ValueSize} B (its ~5 MiB/partition cap); {Partitions} partitions, raw Consume",
            A = new SideResult("bundled (durable)", "rec/s", a),
            B = new SideResult("mock cluster", "rec/s", b),
            Ratios = ratios,
            Target = "bundled ≥ 1,000,000 rec/s",
            Checked = $"median {Report.F(median)} rec/s",
            Met = context.Smoke ? null : median >= 1_000_000,
            Notes = { "Rate from the first record to the last; the mock side reads fewer records, so its rate carries more start-up weight." },
        };
    }
}
