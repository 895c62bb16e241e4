using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How the broker's produce cost grows with concurrent producer connections: the same total of records sent by 1, 10
/// and 100 raw producers at once (each its own client instance, so its own connection, each on its own thread), into
/// one 4-partition topic on one standalone broker (default durable flush). Sizes interleaved in every run.
/// </summary>
public sealed class ConnectionScaleScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;

    public string Name => "scale-connections";

    public string Description => "broker produce cost with 1, 10, 100 concurrent producer connections";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(500_000, smoke: 2_000);
        int[] sizes = context.Smoke ? [1, 10] : [1, 10, 100];
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("scale-connections"), flush: "durable", partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var wall = new ScaleSeries("produce", "µs/record", "producers", sizes);
        var broker = new ScaleSeries("broker CPU per record", "µs", "producers", sizes);
        var topic = Clients.Topic("connections");
        await Admin.CreateTopicAsync(server.BootstrapServers, topic, Partitions);
        for (var run = 0; run < context.Runs; run++)
        {
            foreach (var producers in sizes)
            {
                var each = count / producers;
                var clients = Enumerable.Range(0, producers)
                    .Select(_ => new ProducerBuilder<Null, byte[]>(Clients.ProducerConfig(server.BootstrapServers)).Build())
                    .ToList();
                try
                {
                    // Connected before the clock starts: each client's first metadata round trip is not produce cost.
                    foreach (var client in clients)
                    {
                        Clients.ProduceAll(client, topic, 1, value);
                    }

                    var cpu = server.CpuSeconds();
                    var clock = Stopwatch.StartNew();
                    var threads = clients.Select(client => new Thread(() => Clients.ProduceAll(client, topic, each, value)) { IsBackground = true }).ToList();
                    threads.ForEach(t => t.Start());
                    await Task.Run(() => threads.ForEach(t => t.Join()));
                    var elapsed = clock.Elapsed;
                    var total = (long)each * producers;
                    wall.Add(producers, elapsed.TotalMicroseconds / total);
                    broker.Add(producers, (server.CpuSeconds() - cpu) * 1e6 / total);
                    context.Log($"run {run + 1}/{context.Runs} {producers} producers: {total / elapsed.TotalSeconds:N0} rec/s");
                }
                finally
                {
                    clients.ForEach(c => c.Dispose());
                }
            }
        }

        return wall.Result(Name,
            $"{count:N0} × {ValueSize} B per size split evenly over the producers, {Partitions} partitions, acks=all, linger 5 ms, raw Produce + handler, standalone broker --flush durable",
            context.Smoke, [broker],
            ["Time per record = wall time from the first send of any producer to the last delivery of all / records."]);
    }
}
