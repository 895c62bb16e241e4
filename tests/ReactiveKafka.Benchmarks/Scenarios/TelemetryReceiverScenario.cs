using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// KafkaReceiver.Receive + Acknowledge with tracing and metrics on (a process span per record, parented from its
/// traceparent header; counters per poll batch and acknowledgement pass) vs off. The topic's records carry trace
/// headers either way, so both sides read the same bytes. "Off" against the raw consumer is the <c>receiver</c> scenario.
/// </summary>
public sealed class TelemetryReceiverScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(1);

    public string Name => "receiver-telemetry";

    public string Description => "KafkaReceiver.Receive + Acknowledge with tracing + metrics on vs off";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(500_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("receiver-telemetry"), flush: "os", partitions: Partitions);
        var topic = Clients.Topic("receiver-telemetry");
        context.Log($"filling {count:N0} records with trace headers");
        await FillTracedAsync(server.BootstrapServers, topic, count);
        long spans = 0, measurements = 0;

        async Task<double> Receive(bool telemetry)
        {
            using var on = telemetry ? new TelemetryOn() : null;
            var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(Clients.ConsumerConfig(server.BootstrapServers)) { Topics = [topic], CommitInterval = CommitInterval });
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var received = 0L;
            var clock = new Stopwatch();
            using (receiver.Receive().Subscribe(
                record =>
                {
                    if (received == 0)
                    {
                        clock.Start();
                    }

                    record.Offset.Acknowledge();
                    if (++received == count)
                    {
                        clock.Stop();
                        done.TrySetResult();
                    }
                },
                error => done.TrySetException(error)))
            {
                await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            }

            if (on is not null)
            {
                spans = on.Spans;
                measurements = on.Measurements;
            }

            return (count - 1) / clock.Elapsed.TotalSeconds;
        }

        var (a, b, ratios) = await context.AlternateAsync("telemetry on", _ => Receive(true), "telemetry off", _ => Receive(false), warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B (+ traceparent header), {Partitions} partitions, commit every {CommitInterval.TotalSeconds:0} s, standalone broker --flush os",
            A = new SideResult("telemetry on", "rec/s", a),
            B = new SideResult("telemetry off", "rec/s", b),
            Ratios = ratios,
            Target = "reported (on/off ratio: the cost of tracing + metrics)",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = null,
            Notes =
            {
                $"On: every span sampled and recorded, every instrument listened to (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener, one branch per record.",
                "Off against the raw consumer: the receiver scenario.",
            },
        };
    }

    /// <summary>Fills the topic through a traced KafkaSender, so every record carries a traceparent header.</summary>
    private static async Task FillTracedAsync(string bootstrapServers, string topic, int count)
    {
        using var on = new TelemetryOn();
        await using var sender = KafkaSender.Create(new SenderOptions<byte[], byte[]>(Clients.ProducerConfig(bootstrapServers)) { MaxInFlight = 100_000 });
        var value = Clients.Payload(ValueSize);
        await foreach (var result in sender.SendAsync(Records()))
        {
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException("fill failed: " + result.Exception?.Message);
            }
        }

        async IAsyncEnumerable<SenderRecord<byte[], byte[], int>> Records()
        {
            for (var i = 0; i < count; i++)
            {
                yield return new SenderRecord<byte[], byte[], int>(topic, null!, value, i);
            }

            await Task.CompletedTask;
        }
    }
}
