using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>What the sender scenario compares KafkaSender.Send with.</summary>
public enum SenderComparison
{
    /// <summary><c>sender</c>: KafkaSender (telemetry off) vs raw IProducer.Produce with a delivery handler.</summary>
    Raw,

    /// <summary><c>sender-telemetry</c>: tracing and metrics on vs off (nobody listening): the cost of turning them on.</summary>
    TelemetryOn,

    /// <summary><c>sender-sampled</c>: metrics on and 1 % of the traces sampled vs off: sampling as the answer to the cost of tracing.</summary>
    Sampled,

    /// <summary><c>sender-switch</c>: off (nobody listening) vs compiled out by the feature switch: the cost of "off".</summary>
    SwitchedOut,
}

/// <summary>
/// KafkaSender.Send of 100 B records against the standalone broker, compared with the raw producer or with itself in
/// another <see cref="TelemetryMode"/>: one set-up, one measured send, parameterised by <see cref="SenderComparison"/>.
/// </summary>
public sealed class SenderScenario(SenderComparison comparison = SenderComparison.Raw) : IScenario
{
    private const int ValueSize = 100;
    private const double SampledRatio = 0.01;
    private const int Partitions = 4;
    private const string ProbeKind = "sender";

    public string Name => comparison switch
    {
        SenderComparison.Raw => "sender",
        SenderComparison.TelemetryOn => "sender-telemetry",
        SenderComparison.Sampled => "sender-sampled",
        _ => "sender-switch",
    };

    public string Description => comparison switch
    {
        SenderComparison.Raw => "KafkaSender.Send vs raw Produce + delivery handler, 100 B records",
        SenderComparison.Sampled => "KafkaSender.Send with metrics on and 1 % of the traces sampled vs off",
        SenderComparison.TelemetryOn => "KafkaSender.Send with tracing + metrics on vs off, 100 B records",
        _ => "KafkaSender.Send with telemetry off (no listener) vs compiled out (feature switch), child processes, 100 B records",
    };

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(comparison == SenderComparison.Raw ? 1_000_000 : 500_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory(Name), flush: "os", partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var config = Clients.ProducerConfig(server.BootstrapServers);
        var topic = Clients.Topic(Name);
        Clients.Fill(server.BootstrapServers, topic, 10, ValueSize); // creates the topic
        long spans = 0, measurements = 0;

        async Task<double> InProcess(TelemetryMode mode)
        {
            using var on = mode switch { TelemetryMode.On => new TelemetryOn(), TelemetryMode.Sampled => new TelemetryOn(SampledRatio), _ => null };
            var rate = await SendAsync(config, topic, value, count);
            (spans, measurements) = on is null ? (spans, measurements) : (on.Spans, on.Measurements);
            return rate;
        }

        Task<double> Child(TelemetryMode mode) =>
            TelemetryProbe.RunAsync(ProbeKind, mode, server.BootstrapServers, topic, count.ToString(CultureInfo.InvariantCulture));

        Task<double> Raw(int run) => Task.Run(() =>
        {
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            var elapsed = Clients.ProduceAll(producer, topic, count, value);
            return count / elapsed.TotalSeconds;
        });

        var warmups = context.Smoke ? 0 : 1;
        var (labelA, labelB) = Labels(comparison);
        var (a, b, ratios) = comparison switch
        {
            SenderComparison.Raw => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.Off), labelB, Raw, warmups),
            SenderComparison.TelemetryOn => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.On), labelB, _ => InProcess(TelemetryMode.Off), warmups),
            SenderComparison.Sampled => await context.AlternateAsync(labelA, _ => InProcess(TelemetryMode.Sampled), labelB, _ => InProcess(TelemetryMode.Off), warmups),
            _ => await context.AlternateAsync(labelA, _ => Child(TelemetryMode.Off), labelB, _ => Child(TelemetryMode.SwitchedOut), warmups),
        };
        var ratio = Stats.Median(ratios);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, standalone broker --flush os",
            A = new SideResult(labelA, "rec/s", a),
            B = new SideResult(labelB, "rec/s", b),
            Ratios = ratios,
            Target = comparison switch
            {
                SenderComparison.Raw => "ratio ≥ 0.95",
                SenderComparison.TelemetryOn => "reported (on/off ratio: the cost of tracing + metrics)",
                SenderComparison.Sampled => "reported (sampled/off ratio: the cost with 1 % of the traces recorded)",
                _ => "median ratio ≥ 0.97 (off within noise of compiled out)",
            },
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke || comparison is SenderComparison.TelemetryOn or SenderComparison.Sampled ? null
                : ratio >= (comparison == SenderComparison.Raw ? 0.95 : 0.97),
        };
        result.Notes.Add(comparison switch
        {
            SenderComparison.Raw => $"KafkaSender MaxInFlight = queue.buffering.max.messages ({config.QueueBufferingMaxMessages:N0}), the raw producer's bound; time from first send to last result.",
            SenderComparison.Sampled => $"Sampled: every instrument listened to, spans of {SampledRatio:P0} of the traces (by trace id, as TraceIdRatioBasedSampler) recorded, propagation-only spans for the rest (what OpenTelemetry makes of a dropped one) (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener.",
            SenderComparison.TelemetryOn => $"On: every span sampled and recorded, every instrument listened to (last run: {spans:N0} spans, {measurements:N0} measurements); off: no listener. Off against the raw producer: the sender scenario.",
            _ => $"Each run a fresh child process (--probe-telemetry) that warms up with {count / 10:N0} records, then sends {count:N0}; switched out = AppContext switch {KafkaDiagnostics.IsSupportedSwitchName}=false, checked in the child.",
        });
        return result;
    }

    private static (string A, string B) Labels(SenderComparison comparison) => comparison switch
    {
        SenderComparison.Raw => ("KafkaSender", "raw Produce"),
        SenderComparison.TelemetryOn => ("telemetry on", "telemetry off"),
        SenderComparison.Sampled => ("1 % sampled", "telemetry off"),
        _ => ("telemetry off", "switched out"),
    };

    /// <summary>The child process of <c>sender-switch</c>: a warm-up send of a tenth, then the measured one.</summary>
    public static async Task<double> ProbeAsync(TelemetryMode mode, string[] args)
    {
        var (bootstrap, topic, count) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        using var on = mode == TelemetryMode.On ? new TelemetryOn() : null;
        var config = Clients.ProducerConfig(bootstrap);
        var value = Clients.Payload(ValueSize);
        await SendAsync(config, topic, value, Math.Max(1, count / 10));
        return await SendAsync(config, topic, value, count);
    }

    /// <summary>One measured send of <paramref name="count"/> records through a new KafkaSender: records per second.</summary>
    public static async Task<double> SendAsync(ProducerConfig config, string topic, byte[] value, int count)
    {
        await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(config) { MaxInFlight = config.QueueBufferingMaxMessages ?? 100_000 });
        var records = Records(topic, value, count);
        var failures = 0L;
        var clock = Stopwatch.StartNew();
        await sender.Send(records).Do(r =>
        {
            if (!r.IsSuccess)
            {
                failures++;
            }
        }).LastOrDefaultAsync();
        var elapsed = clock.Elapsed;
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} sends failed");
        }

        return count / elapsed.TotalSeconds;
    }

    // A plain loop as the source, like the raw side's loop: Observable.Range schedules every item on the
    // CurrentThreadScheduler's trampoline and reads the clock twice per item (about 10 % of the sending thread's
    // CPU in a perf profile), which would be charged to KafkaSender without being its work.
    private static IObservable<SenderRecord<Null, byte[], int>> Records(string topic, byte[] value, int count) =>
        Observable.Create<SenderRecord<Null, byte[], int>>(observer =>
        {
            for (var i = 0; i < count; i++)
            {
                observer.OnNext(new SenderRecord<Null, byte[], int>(topic, null!, value, i));
            }

            observer.OnCompleted();
            return System.Reactive.Disposables.Disposable.Empty;
        });
}
