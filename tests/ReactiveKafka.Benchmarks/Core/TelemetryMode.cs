using System.Diagnostics;
using System.Globalization;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>How ReactiveKafka's tracing and metrics are set up for a measured run.</summary>
public enum TelemetryMode
{
    /// <summary>Compiled in, nobody listening: the default of an application that never subscribes.</summary>
    Off,

    /// <summary>Every span sampled and recorded, every instrument listened to (<see cref="TelemetryOn"/>).</summary>
    On,

    /// <summary>Every instrument listened to, 1 % of the traces sampled by trace id (the others: no span at all).</summary>
    Sampled,

    /// <summary>
    /// Compiled out: the <see cref="KafkaDiagnostics.IsSupportedSwitchName"/> feature switch set to false, so every
    /// instrumentation branch is a JIT-time constant. Only possible in a fresh process (the switch is read once).
    /// </summary>
    SwitchedOut,
}

/// <summary>
/// Runs one measurement in a child process of this benchmark with a given <see cref="TelemetryMode"/>: the only way to
/// measure <see cref="TelemetryMode.SwitchedOut"/>, and the fair way to measure the mode it is compared with.
/// </summary>
public static class TelemetryProbe
{
    public const string Argument = "--probe-telemetry";

    /// <summary>Starts the child (<c>--probe-telemetry {kind} {mode} {args...}</c>) and returns the rate it prints.</summary>
    public static async Task<double> RunAsync(string kind, TelemetryMode mode, params string[] args)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(TelemetryProbe).Assembly.Location);
        }

        foreach (var arg in new[] { Argument, kind, mode.ToString() }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        double? rate = null;
        bool? supported = null;
        foreach (var line in stdout.Split('\n'))
        {
            var parts = line.Trim().Split(' ');
            if (parts is ["RATE", var r])
            {
                rate = double.Parse(r, CultureInfo.InvariantCulture);
            }
            else if (parts is ["SUPPORTED", var s])
            {
                supported = bool.Parse(s);
            }
        }

        if (process.ExitCode != 0 || rate is null)
        {
            throw new InvalidOperationException($"{kind} probe ({mode}) failed (exit {process.ExitCode}): {stdout} {await stderr}");
        }

        // The comparison means something only if the switch really took effect in the child.
        if (supported != (mode != TelemetryMode.SwitchedOut))
        {
            throw new InvalidOperationException($"{kind} probe ({mode}): KafkaDiagnostics.IsSupported was {supported}.");
        }

        return rate.Value;
    }

    /// <summary>The child's side: applies the mode before any ReactiveKafka type is touched, then runs the measurement.</summary>
    public static async Task<int> MainAsync(string[] args, Func<string, TelemetryMode, string[], Task<double>> measure)
    {
        var mode = Enum.Parse<TelemetryMode>(args[1]);
        if (mode == TelemetryMode.SwitchedOut)
        {
            AppContext.SetSwitch(KafkaDiagnostics.IsSupportedSwitchName, false);
        }

        var rate = await measure(args[0], mode, args[2..]);
        Console.WriteLine(FormattableString.Invariant($"RATE {rate}"));
        Console.WriteLine(FormattableString.Invariant($"SUPPORTED {KafkaDiagnostics.IsSupported}"));
        return 0;
    }
}
