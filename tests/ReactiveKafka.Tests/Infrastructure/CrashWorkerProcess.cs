using System.Collections.Concurrent;
using System.Diagnostics;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// A child process running the CrashWorker built beside the tests (with <c>dotnet</c>): its standard output is
/// collected line by line; <see cref="Kill"/> is kill -9 (no cleanup of any kind in the child), <see cref="StopAsync"/>
/// closes its standard input so it stops cleanly.
/// </summary>
internal sealed class CrashWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _errors = new();

    private CrashWorkerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The child's standard output so far, one entry per line.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    public bool HasExited => _process.HasExited;

    public static CrashWorkerProcess Start(string name, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReactiveKafka.Tests.CrashWorker.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash worker");
        var worker = new CrashWorkerProcess(name, process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker.Lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker._errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    public string Describe() =>
        $"{Name}: {Lines.Count} lines, exited {_process.HasExited}{(_process.HasExited ? " with " + _process.ExitCode : "")}; " +
        $"last: {string.Join(" | ", Lines.TakeLast(3))}; stderr: {string.Join(" | ", _errors.Take(5))}";

    /// <summary>kill -9: SIGKILL, no cleanup of any kind in the child.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Closes the child's standard input: it stops cleanly and exits; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
