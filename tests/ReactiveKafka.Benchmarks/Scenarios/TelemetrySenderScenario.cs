using System.Diagnostics;
using System.Reactive.Linq;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// KafkaSender.Send with tracing and metrics on (a span and headers per record, counters and a histogram per result)
/// vs off (nobody listening): the cost of turning them on. "Off" against the raw producer is the <c>sender</c> scenario.
/// </summary>
public sealed class TelemetrySenderScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;

    public string Name => "sender-telemetry";

    public string Description => "KafkaSender.Send with tracing + metrics on vs off, 100 B records";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(500_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("sender-telemetry"), flush: "os", partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var config = Clients.ProducerConfig(server.BootstrapServers);
        var topic = Clients.Topic("sender-telemetry");
        Clients.Fill(server.BootstrapServers, topic, 10, ValueSize);
        long spans = 0, measurements = 0;

        async Task<double> Send(bool telemetry)
        {
            using var on = telemetry ? new TelemetryOn() : null;
            await using var sender = KafkaSender.Create(new SenderOptions<byte[], byte[]>(config) { MaxInFlight = config.QueueBufferingMaxMessages ?? 100_000 });
            var records = Observable.Create<SenderRecord<byte[], byte[], int>>(observer =>
            {
                for (var i = 0; i < count; i++)
                {
                    observer.OnNext(new SenderRecord<byte[], byte[], int>(topic, null!, value, i));
                }

                observer.OnCompleted();
                return System.Reactive.Disposables.Disposable.Empty;
            });
            var failures = 0L;
            var clock = Stopwatch.StartNew();
            await sender.Send(records).Do(r => failures += r.IsSuccess ? 0 : 1).LastOrDefaultAsync();
            var elapsed = clock.Elapsed;
            if (failures > 0)
            {
                throw new InvalidOperationException($"{failures} sends failed");
            }

            if (on is not null)
            {
                spans = on.Spans;
                measurements = on.Measurements;
            }

            return count / elapsed.TotalSeconds;
        }

        var (a, b, ratios) = await context.AlternateAsync("telemetry on", _ => Send(true), "telemetry off", _ => Send(false), warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, standalone broker --flush os",
            A = new SideResult("telemetry on", "rec/s", a),
            B = new SideResult("telemetry off", "rec/s", b),
            Ratios = ratios,
            Target = "reported (on/off ratio: the cost of tracing + metrics)",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = null,
            Notes =
            {
                $"On: every span sampled and recorded, every instrument listened to (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener, one branch per record.",
                "Off against the raw producer: the sender scenario.",
            },
        };
    }
}
