using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How the broker's produce and fetch cost grows with the partitions of a topic: the same records (raw producer
/// round robin over the partitions, acks=all; raw consumer assigned to all of them from the beginning) into topics of
/// 1, 10, 100 and 1,000 partitions on one standalone broker (default durable flush). The sizes are interleaved in
/// every run, so a busy spell of the shared machine falls on all of them alike.
/// </summary>
public sealed class PartitionScaleScenario : IScenario
{
    private const int ValueSize = 100;

    public string Name => "scale-partitions";

    public string Description => "broker produce and fetch cost with 1, 10, 100, 1,000 partitions";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(500_000, smoke: 2_000);
        int[] sizes = context.Smoke ? [1, 10] : [1, 10, 100, 1000];
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("scale-partitions"), flush: "durable", partitions: 1);
        var value = Clients.Payload(ValueSize);
        var produce = new ScaleSeries("produce", "µs/record", "partitions", sizes);
        var fetch = new ScaleSeries("fetch", "µs/record", "partitions", sizes);
        var produceBroker = new ScaleSeries("broker CPU per produced record", "µs", "partitions", sizes);
        var fetchBroker = new ScaleSeries("broker CPU per fetched record", "µs", "partitions", sizes);
        for (var run = 0; run < context.Runs; run++)
        {
            foreach (var partitions in sizes)
            {
                var topic = Clients.Topic($"p{partitions}");
                await Admin.CreateTopicAsync(server.BootstrapServers, topic, partitions);
                var cpu = server.CpuSeconds();
                var produced = await Task.Run(() =>
                {
                    using var producer = new ProducerBuilder<Null, byte[]>(Clients.ProducerConfig(server.BootstrapServers)).Build();
                    return Clients.ProduceAll(producer, topic, count, value, partitions);
                });
                produceBroker.Add(partitions, (server.CpuSeconds() - cpu) * 1e6 / count);
                produce.Add(partitions, produced.TotalMicroseconds / count);

                cpu = server.CpuSeconds();
                var (fetched, _) = await Task.Run(() => Clients.ConsumeAll(Clients.ConsumerConfig(server.BootstrapServers), topic, partitions, count));
                fetchBroker.Add(partitions, (server.CpuSeconds() - cpu) * 1e6 / count);
                fetch.Add(partitions, fetched.TotalMicroseconds / (count - 1));
                context.Log($"run {run + 1}/{context.Runs} {partitions} partitions: produce {count / produced.TotalSeconds:N0} rec/s, fetch {(count - 1) / fetched.TotalSeconds:N0} rec/s");
            }
        }

        return produce.Result(Name,
            $"{count:N0} × {ValueSize} B per size, acks=all, linger 5 ms, raw Produce (round robin) then raw Consume of all partitions from the beginning, standalone broker --flush durable",
            context.Smoke, [fetch, produceBroker, fetchBroker],
            ["Time per record = wall time of the whole produce (first send to last delivery) or fetch (first record to last) / records; the broker CPU includes its group-commit fsyncs (one per partition written in a flush)."]);
    }
}
