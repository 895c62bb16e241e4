using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>What the receiver scenario compares KafkaReceiver.Receive with.</summary>
public enum ReceiverComparison
{
    /// <summary><c>receiver</c>: KafkaReceiver (telemetry off) vs a raw Consume loop with StoreOffset and auto commit.</summary>
    Raw,

    /// <summary><c>receiver-telemetry</c>: tracing and metrics on vs off (nobody listening).</summary>
    TelemetryOn,

    /// <summary><c>receiver-sampled</c>: metrics on and 1 % of the traces sampled vs off: sampling as the answer to the cost of tracing.</summary>
    Sampled,

    /// <summary><c>receiver-switch</c>: off (nobody listening) vs compiled out by the feature switch.</summary>
    SwitchedOut,
}

/// <summary>
/// KafkaReceiver.Receive() acknowledging every record with periodic commits, compared with a raw Consume loop with
/// StoreOffset and auto commit at the same interval, or with itself in another <see cref="TelemetryMode"/>: same
/// broker, same consumer config, a fresh group per run. The telemetry comparisons read records that carry a
/// traceparent header (sent by a traced KafkaSender), so both sides read the same bytes.
/// </summary>
public sealed class ReceiverScenario(ReceiverComparison comparison = ReceiverComparison.Raw) : IScenario
{
    private const int ValueSize = 100;
    private const double SampledRatio = 0.01;
    private const int Partitions = 4;
    private const string ProbeKind = "receiver";
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(1);

    public string Name => comparison switch
    {
        ReceiverComparison.Raw => "receiver",
        ReceiverComparison.TelemetryOn => "receiver-telemetry",
        ReceiverComparison.Sampled => "receiver-sampled",
        _ => "receiver-switch",
    };

    public string Description => comparison switch
    {
        ReceiverComparison.Raw => "KafkaReceiver.Receive + Acknowledge vs raw Consume + StoreOffset + auto commit",
        ReceiverComparison.Sampled => "KafkaReceiver.Receive + Acknowledge with metrics on and 1 % of the traces sampled vs off",
        ReceiverComparison.TelemetryOn => "KafkaReceiver.Receive + Acknowledge with tracing + metrics on vs off",
        _ => "KafkaReceiver.Receive + Acknowledge with telemetry off (no listener) vs compiled out (feature switch), child processes",
    };

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(comparison == ReceiverComparison.Raw ? 1_000_000 : 500_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory(Name), flush: "os", partitions: Partitions);
        var topic = Clients.Topic(Name);
        var traced = comparison != ReceiverComparison.Raw;
        context.Log($"filling {count:N0} records{(traced ? " with trace headers" : "")}");
        if (traced)
        {
            await FillTracedAsync(server.BootstrapServers, topic, count);
        }
        else
        {
            Clients.Fill(server.BootstrapServers, topic, count, ValueSize);
        }

        long spans = 0, measurements = 0;

        async Task<double> InProcess(TelemetryMode mode)
        {
            using var on = mode switch { TelemetryMode.On => new TelemetryOn(), TelemetryMode.Sampled => new TelemetryOn(SampledRatio), _ => null };
            var rate = await ReceiveAsync(server.BootstrapServers, topic, count);
            (spans, measurements) = on is null ? (spans, measurements) : (on.Spans, on.Measurements);
            return rate;
        }

        Task<double> Child(TelemetryMode mode) =>
            TelemetryProbe.RunAsync(ProbeKind, mode, server.BootstrapServers, topic, count.ToString(CultureInfo.InvariantCulture));

        Task<double> Raw(int run) => Task.Run(() =>
        {
            var config = Clients.ConsumerConfig(server.BootstrapServers);
            config.EnableAutoCommit = true;
            config.AutoCommitIntervalMs = (int)CommitInterval.TotalMilliseconds;
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
            consumer.Subscribe(topic);
            var received = 0L;
            var clock = new Stopwatch();
            var deadline = Stopwatch.StartNew();
            while (received < count)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record is null || record.IsPartitionEOF)
                {
                    if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                    {
                        throw new TimeoutException($"Read {received} of {count} in 5 minutes.");
                    }

                    continue;
                }

                if (received == 0)
                {
                    clock.Start();
                }

                consumer.StoreOffset(record);
                received++;
            }

            clock.Stop();
            consumer.Close();
            return (count - 1) / clock.Elapsed.TotalSeconds;
        });

        var warmups = context.Smoke ? 0 : 1;
        var (labelA, labelB) = comparison switch
        {
            ReceiverComparison.Raw => ("KafkaReceiver", "raw Consume"),
            ReceiverComparison.TelemetryOn => ("telemetry on", "telemetry off"),
            ReceiverComparison.Sampled => ("1 % sampled", "telemetry off"),
            _ => ("telemetry off", "switched out"),
        };
        var (a, b, ratios) = comparison switch
        {
            ReceiverComparison.Raw => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.Off), labelB, Raw, warmups),
            ReceiverComparison.TelemetryOn => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.On), labelB, _ => InProcess(TelemetryMode.Off), warmups),
            ReceiverComparison.Sampled => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.Sampled), labelB, _ => InProcess(TelemetryMode.Off), warmups),
            _ => await context.AlternateAsync(labelA, _ => Child(TelemetryMode.Off), labelB, _ => Child(TelemetryMode.SwitchedOut), warmups),
        };
        var ratio = Stats.Median(ratios);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B{(traced ? " (+ traceparent header)" : "")}, {Partitions} partitions, commit every {CommitInterval.TotalSeconds:0} s, standalone broker --flush os",
            A = new SideResult(labelA, "rec/s", a),
            B = new SideResult(labelB, "rec/s", b),
            Ratios = ratios,
            Target = comparison switch
            {
                ReceiverComparison.Raw => "ratio ≥ 0.95",
                ReceiverComparison.TelemetryOn => "reported (on/off ratio: the cost of tracing + metrics)",
                ReceiverComparison.Sampled => "reported (sampled/off ratio: the cost with 1 % of the traces recorded)",
                _ => "median ratio ≥ 0.97 (off within noise of compiled out)",
            },
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke || comparison is ReceiverComparison.TelemetryOn or ReceiverComparison.Sampled ? null
                : ratio >= (comparison == ReceiverComparison.Raw ? 0.95 : 0.97),
        };
        result.Notes.Add(comparison switch
        {
            ReceiverComparison.Raw => "Rate from the first record to the last (group join excluded); a fresh group per run, subscribe (group-managed).",
            ReceiverComparison.Sampled => $"Sampled: every instrument listened to, spans of {SampledRatio:P0} of the traces (by trace id, as TraceIdRatioBasedSampler) recorded, propagation-only spans for the rest (what OpenTelemetry makes of a dropped one) (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener.",
            ReceiverComparison.TelemetryOn => $"On: every span sampled and recorded, every instrument listened to (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener. Off against the raw consumer: the receiver scenario.",
            _ => $"Each run a fresh child process (--probe-telemetry) that warms up on the first tenth, then reads all {count:N0} with a new group; switched out = AppContext switch {KafkaDiagnostics.IsSupportedSwitchName}=false, checked in the child.",
        });
        return result;
    }

    /// <summary>The child process of <c>receiver-switch</c>: a warm-up read of a tenth, then the measured one.</summary>
    public static async Task<double> ProbeAsync(TelemetryMode mode, string[] args)
    {
        var (bootstrap, topic, count) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        using var on = mode == TelemetryMode.On ? new TelemetryOn() : null;
        await ReceiveAsync(bootstrap, topic, Math.Max(2, count / 10));
        return await ReceiveAsync(bootstrap, topic, count);
    }

    /// <summary>Reads the first <paramref name="count"/> records with a new group, acknowledging each: records per second.</summary>
    public static async Task<double> ReceiveAsync(string bootstrap, string topic, int count)
    {
        var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(Clients.ConsumerConfig(bootstrap)) { Topics = [topic], CommitInterval = CommitInterval });
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

        return (count - 1) / clock.Elapsed.TotalSeconds;
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
