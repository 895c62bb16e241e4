using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Restart time of the standalone broker holding a 1 GB log: after kill -9 (SIGKILL right after acknowledged writes)
/// vs after a clean stop (SIGTERM), from process start to its READY line.
/// </summary>
public sealed class RecoveryScenario : IScenario
{
    private const int TailRecords = 10_000;

    public string Name => "recovery";

    public string Description => "broker restart time after kill -9 with a 1 GB log vs after a clean stop";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var log = await LogFixture.SharedAsync(context, "log-big", context.Settings.Size(1_000_000_000L, 4_000_000L));
        var tail = context.Smoke ? 100 : TailRecords;
        var value = Clients.Payload(log.ValueSize);

        async Task<double> Restart(bool kill)
        {
            var server = await BrokerServer.StartAsync(log.DataDirectory);
            await Task.Run(() =>
            {
                using var producer = new ProducerBuilder<Null, byte[]>(Clients.ProducerConfig(server.BootstrapServers)).Build();
                Clients.ProduceAll(producer, log.Topic, tail, value, partitions: 1);
            });
            if (kill)
            {
                await server.KillAsync();
            }
            else
            {
                await server.StopAsync();
            }

            await server.DisposeAsync();
            await using var restarted = await BrokerServer.StartAsync(log.DataDirectory);
            return restarted.StartTime.TotalMilliseconds;
        }

        var (a, b, ratios) = await context.AlternateAsync("after kill -9", _ => Restart(kill: true), "after clean stop", _ => Restart(kill: false));
        var median = Stats.Median(a);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{log.Describe()} log ({log.Records:N0} × {log.ValueSize} B, 1 partition) + {tail:N0} acks=all records just before the stop, --flush durable",
            A = new SideResult("after kill -9", "ms", a),
            B = new SideResult("after clean stop", "ms", b),
            Ratios = ratios,
            Target = "after kill -9 ≤ 1000 ms",
            Checked = $"median {Report.F(median)} ms",
            Met = context.Smoke ? null : median <= 1000,
            Notes = { "From starting the server process (dotnet reactivekafka-broker.dll, runtime start-up included) to its READY line." },
        };
    }
}
