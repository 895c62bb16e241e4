using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Peak working set of a process running a KafkaReceiver with a slow subscriber (1 ms per record) over a 1 M-record
/// backlog vs the same receiver idle on an empty topic. Each side runs in a fresh child process (this executable in
/// probe mode), so that nothing else of the benchmark is in the measured working set.
/// </summary>
public sealed class ReceiverMemoryScenario : IScenario
{
    public const string ProbeArgument = "--probe-receiver-memory";
    private const int ValueSize = 100;

    public string Name => "receiver-memory";

    public string Description => "receiver peak working set: 1 M-record backlog + slow subscriber vs idle";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        var seconds = context.Settings.Size(15, 2);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("receiver-memory"), flush: "os", partitions: 1);
        var backlog = Clients.Topic("backlog");
        var idle = Clients.Topic("idle");
        context.Log($"filling {count:N0} records");
        Clients.Fill(server.BootstrapServers, backlog, count, ValueSize);
        var received = new List<double>();

        async Task<double> Backlog(int run)
        {
            var (peak, n) = await RunProbeAsync(server.BootstrapServers, backlog, seconds);
            received.Add(n);
            return peak / (1024.0 * 1024);
        }

        async Task<double> Idle(int run) => (await RunProbeAsync(server.BootstrapServers, idle, seconds)).PeakBytes / (1024.0 * 1024);

        var (a, b, ratios) = await context.AlternateAsync("backlog + slow subscriber", Backlog, "idle", Idle);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B backlog, subscriber sleeps 1 ms per record, {seconds} s per run, default ReceiverOptions and consumer config",
            A = new SideResult("backlog", "MiB", a),
            B = new SideResult("idle", "MiB", b),
            Ratios = ratios,
            Target = "ratio ≤ 2",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio <= 2,
            Extra = { ["records processed per backlog run"] = Stats.Median(received) },
            Notes = { "Peak Process.WorkingSet64 of a child process sampled every 50 ms (the whole process: runtime, librdkafka and its prefetch queue included)." },
        };
    }

    private static async Task<(long PeakBytes, long Received)> RunProbeAsync(string bootstrap, string topic, int seconds)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ReceiverMemoryScenario).Assembly.Location);
        }

        foreach (var arg in new[] { ProbeArgument, bootstrap, topic, seconds.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var peak = 0L;
        var received = 0L;
        foreach (var line in stdout.Split('\n'))
        {
            var parts = line.Trim().Split(' ');
            if (parts is ["PEAK", var p])
            {
                peak = long.Parse(p, CultureInfo.InvariantCulture);
            }
            else if (parts is ["RECEIVED", var r])
            {
                received = long.Parse(r, CultureInfo.InvariantCulture);
            }
        }

        if (process.ExitCode != 0 || peak == 0)
        {
            throw new InvalidOperationException($"receiver-memory probe failed (exit {process.ExitCode}): {stdout} {await stderr}");
        }

        return (peak, received);
    }

    /// <summary>The child process: subscribes, processes slowly, samples its own working set, prints PEAK and RECEIVED.</summary>
    public static async Task<int> ProbeAsync(string[] args)
    {
        var (bootstrap, topic, seconds) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(Clients.ConsumerConfig(bootstrap)) { Topics = [topic] });
        using var process = Process.GetCurrentProcess();
        var peak = 0L;
        var received = 0L;
        var error = (Exception?)null;
        using (receiver.Receive().Subscribe(
            r =>
            {
                Thread.Sleep(1);
                r.Offset.Acknowledge();
                Interlocked.Increment(ref received);
            },
            e => error = e))
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(50);
            }
        }

        if (error is not null)
        {
            await Console.Error.WriteLineAsync(error.ToString());
            return 1;
        }

        Console.WriteLine($"PEAK {peak}");
        Console.WriteLine($"RECEIVED {Interlocked.Read(ref received)}");
        return 0;
    }
}
