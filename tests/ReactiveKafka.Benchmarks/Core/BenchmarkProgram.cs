using System.Diagnostics;
using ReactiveKafka.Benchmarks.Scenarios;
using ReactiveKafka.Benchmarks.Scenarios.Scale;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>Parses the command line, runs the scenarios, prints the table, writes the JSON.</summary>
public static class BenchmarkProgram
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new SenderScenario(),
        new ReceiverScenario(),
        new SenderScenario(SenderComparison.TelemetryOn),
        new ReceiverScenario(ReceiverComparison.TelemetryOn),
        new SenderScenario(SenderComparison.Sampled),
        new ReceiverScenario(ReceiverComparison.Sampled),
        new SenderScenario(SenderComparison.SwitchedOut),
        new ReceiverScenario(ReceiverComparison.SwitchedOut),
        new TelemetryOffPathScenario(),
        new BrokerProduceScenario(),
        new TransactionalProduceScenario("durable"),
        new TransactionalProduceScenario("os"),
        new BrokerConsumeScenario(),
        new LargeRecordsScenario(),
        new LatencyScenario(),
        new TrickleScenario(),
        new ReceiverMemoryScenario(),
        new BrokerMemoryScenario(),
        new RecoveryScenario(),
        new CleanerScenario(),
        new StateLogCompactionScenario(),
        new IdempotentProduceScenario("durable"),
        new IdempotentProduceScenario("os"),
        new ExactlyOnceScenario("at-least-once"),
        new ExactlyOnceScenario("confluent"),
        new TlsHandshakeScenario(),
        new EndToEndScenario(),

        // How cost grows with scale (issue 18): each reports the shape of its growth.
        new PartitionScaleScenario(),
        new ConnectionScaleScenario(),
        new TopicScaleScenario(),
        new LogScaleScenario(),
        new BrokerFootprintScenario(),
        new ReceiverPartitionScaleScenario(),
        new LongPollScaleScenario(),
    ];

    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == ReceiverMemoryScenario.ProbeArgument)
        {
            // A child process of receiver-memory: its own working set is the measurement.
            return await ReceiverMemoryScenario.ProbeAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == TelemetryProbe.Argument)
        {
            // A child process of sender-switch / receiver-switch: the feature switch is set before anything reads it.
            return await TelemetryProbe.MainAsync(args[1..], (kind, mode, rest) =>
                kind == "sender" ? SenderScenario.ProbeAsync(mode, rest) : ReceiverScenario.ProbeAsync(mode, rest));
        }

        if (args.Length > 0 && args[0] == CleanerScenario.ProbeArgument)
        {
            // A child process of cleaner: its own resident set is the cleaner's memory.
            return CleanerScenario.Probe(args[1..]);
        }

        BenchSettings settings;
        try
        {
            settings = BenchSettings.Parse(args);
        }
        catch (BenchSettings.HelpRequested)
        {
            Console.WriteLine(BenchSettings.Usage);
            return 0;
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.WriteLine(BenchSettings.Usage);
            return 2;
        }

        List<IScenario> selected;
        if (settings.Scenarios.Contains("all"))
        {
            selected = [.. All];
        }
        else
        {
            selected = [];
            foreach (var name in settings.Scenarios)
            {
                var scenario = All.FirstOrDefault(s => s.Name == name);
                if (scenario is null)
                {
                    Console.Error.WriteLine($"error: unknown scenario '{name}'.");
                    Console.Error.WriteLine(BenchSettings.Usage);
                    return 2;
                }

                selected.Add(scenario);
            }
        }

        var results = new List<ScenarioResult>();
        var failures = new List<string>();
        var total = Stopwatch.StartNew();
        var work = Path.Combine(Path.GetTempPath(), $"reactivekafka-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        await using (var context = new BenchContext(settings, work))
        {
            foreach (var scenario in selected)
            {
                Console.Error.WriteLine($"== {scenario.Name}: {scenario.Description}");
                var clock = Stopwatch.StartNew();
                try
                {
                    context.BeginScenario();
                    var result = await scenario.RunAsync(context);
                    if (context.LastCosts is { } costs)
                    {
                        result.Notes.Add(costs);
                    }

                    results.Add(result);
                    Console.Error.WriteLine($"== {scenario.Name} done in {clock.Elapsed.TotalSeconds:0.0} s: {result.Checked} (target {result.Target})");
                }
                catch (Exception ex)
                {
                    failures.Add($"{scenario.Name}: {ex.GetType().Name}: {ex.Message}");
                    Console.Error.WriteLine($"== {scenario.Name} FAILED after {clock.Elapsed.TotalSeconds:0.0} s: {ex}");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(Report.Markdown(results, settings));
        Console.WriteLine($"Total time: {total.Elapsed.TotalSeconds:0} s");
        if (settings.JsonFile is not null)
        {
            Report.WriteJson(settings.JsonFile, results, settings);
            Console.Error.WriteLine($"JSON written to {settings.JsonFile}");
        }

        foreach (var failure in failures)
        {
            Console.Error.WriteLine($"FAILED {failure}");
        }

        return failures.Count == 0 ? 0 : 1;
    }
}
