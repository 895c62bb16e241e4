using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// What the instrumentation costs per record, measured on its own: the checks a record passes with telemetry off
/// (nanoseconds per record, side A) against the whole per-record time of a KafkaSender with telemetry off (side B, the
/// reciprocal of its rate), so the ratio is the share of "off" in a record's cost. The receiver's figures, and the
/// time and allocation of one span with telemetry on, are in the extras.
/// </summary>
public sealed class TelemetryOffPathScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Iterations = 20_000_000;
    private const int SpanIterations = 200_000;

    public string Name => "telemetry-off-path";

    public string Description => "ns per record of the telemetry-off checks vs the whole per-record time (sender and receiver); one span's cost when on";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(200_000);
        var iterations = context.Smoke ? 100_000 : Iterations;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory(Name), flush: "os", partitions: 4);
        var topic = Clients.Topic(Name);
        var config = Clients.ProducerConfig(server.BootstrapServers);
        var value = Clients.Payload(ValueSize);
        Clients.Fill(server.BootstrapServers, topic, count, ValueSize);
        var receiverTotal = new List<double>();
        var receiverChecks = new List<double>();

        Task<double> Checks(int run)
        {
            receiverChecks.Add(Time(iterations, ReceiverOffChecks));
            return Task.FromResult(Time(iterations, SenderOffChecks));
        }

        async Task<double> Total(int run)
        {
            receiverTotal.Add(1e9 / await ReceiverScenario.ReceiveAsync(server.BootstrapServers, topic, count));
            return 1e9 / await SenderScenario.SendAsync(config, topic, value, count);
        }

        var (a, b, ratios) = await context.AlternateAsync("off checks", Checks, "whole record", Total, warmups: context.Smoke ? 0 : 1);
        var (sendNs, sendBytes) = SpanCost(SendSpan);
        var (processNs, processBytes) = SpanCost(ProcessSpan);
        var receiverShare = Stats.Median(receiverChecks) / Stats.Median(receiverTotal);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{iterations:N0} checks per run; {count:N0} × {ValueSize} B sent and received per run; {SpanIterations:N0} spans",
            A = new SideResult("sender off checks", "ns/rec", a),
            B = new SideResult("sender whole record", "ns/rec", b),
            Ratios = ratios,
            Target = "off checks < 1 % of a record's time, sender and receiver",
            Checked = $"sender {Report.F(Stats.Median(ratios) * 100)} %, receiver {Report.F(receiverShare * 100)} %",
            Met = context.Smoke ? null : Stats.Median(ratios) < 0.01 && receiverShare < 0.01,
            Extra =
            {
                ["receiver off checks ns/rec"] = Stats.Median(receiverChecks),
                ["receiver whole record ns/rec"] = Stats.Median(receiverTotal),
                ["send span on: ns"] = sendNs,
                ["send span on: bytes"] = sendBytes,
                ["process span on: ns"] = processNs,
                ["process span on: bytes"] = processBytes,
            },
            Notes =
            {
                "Off checks: the branches a record passes with nobody listening, called through a method that is never inlined (an upper bound). "
                + "Sender: the span check at admission, the duration and counter checks, the span check at the result; receiver: the span check per record, "
                + "the counter checks per batch and acknowledgement pass (charged to every record), the span check at acknowledgement.",
                "Span on: one send span (start with its traceparent header, stop with partition and offset) or one process span (parsed from a traceparent "
                + "header, then stopped) with a listener that samples everything, in a loop on one thread: time and bytes allocated per span.",
            },
        };
    }

    private static double Time(int iterations, Func<long, int> check)
    {
        var sink = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            sink += check(i);
        }

        clock.Stop();
        GC.KeepAlive(sink);
        return clock.Elapsed.TotalNanoseconds / iterations;
    }

    /// <summary>The sender's per-record checks with telemetry off (ProducerCore.Prepare, InFlightRecord's constructor and Complete).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SenderOffChecks(long i)
    {
        var n = 0;
        Activity? activity = null;
        if (KafkaTracing.IsListening)
        {
            activity = Activity.Current;
        }

        var started = KafkaDiagnostics.IsSupported && KafkaMetrics.OperationDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        if (KafkaDiagnostics.IsSupported && (KafkaMetrics.SentMessages.Enabled || started != 0))
        {
            n++;
        }

        if (activity is not null)
        {
            n++;
        }

        return n;
    }

    /// <summary>The receiver's per-record checks with telemetry off (the poll loop, Deliver, ProcessAcknowledgements, the acknowledgement).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReceiverOffChecks(long i)
    {
        var n = 0;
        Activity? activity = null;
        if (KafkaTracing.IsListening)
        {
            activity = Activity.Current;
        }

        if (KafkaDiagnostics.IsSupported && KafkaMetrics.ConsumedMessages.Enabled)
        {
            n++;
        }

        if (KafkaDiagnostics.IsSupported && KafkaMetrics.AcknowledgedMessages.Enabled)
        {
            n++;
        }

        if (activity is not null)
        {
            n++;
        }

        return n;
    }

    private static readonly byte[] TraceParent = Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

    private static void SendSpan(int i)
    {
        Headers? headers = null;
        var activity = KafkaTracing.StartSend("orders", null, ref headers, null)!;
        KafkaTracing.StopSend(activity, new Partition(i & 3), new Offset(i), null);
    }

    private static void ProcessSpan(int i)
    {
        var headers = new Headers { { KafkaTracing.TraceParentHeader, TraceParent } };
        var activity = KafkaTracing.StartProcess("orders", i & 3, i, "group", headers)!;
        KafkaTracing.Stop(activity);
    }

    /// <summary>Nanoseconds and bytes allocated per span, with every span sampled (after a warm-up).</summary>
    private static (double Ns, double Bytes) SpanCost(Action<int> span)
    {
        using var on = new TelemetryOn();
        for (var i = 0; i < SpanIterations / 10; i++)
        {
            span(i);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < SpanIterations; i++)
        {
            span(i);
        }

        clock.Stop();
        return (clock.Elapsed.TotalNanoseconds / SpanIterations, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)SpanIterations);
    }
}
