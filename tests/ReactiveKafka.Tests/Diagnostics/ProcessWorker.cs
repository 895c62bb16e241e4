using System.Diagnostics;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>Runs the ProcessWorker (built beside the tests) to its end and captures its stdout and stderr.</summary>
internal static class ProcessWorker
{
    public sealed record Output(int ExitCode, string[] Stdout, string[] Stderr)
    {
        /// <summary>The value of the worker's <c>NAME value</c> line.</summary>
        public long Value(string name) =>
            long.Parse(Stdout.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        public override string ToString() =>
            $"exit {ExitCode}; stdout ({Stdout.Length} lines): {string.Join(" / ", Stdout.Take(20))}; stderr ({Stderr.Length} lines): {string.Join(" / ", Stderr.Take(20))}";
    }

    public static async Task<Output> RunAsync(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ReactiveKafka.Tests.ProcessWorker.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the process worker");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the process worker ({string.Join(' ', args)}) did not finish in 120 s: {await stdout} {await stderr}");
        }

        return new Output(process.ExitCode, Lines(await stdout), Lines(await stderr));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
