using System.Diagnostics;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// The standalone server (<c>reactivekafka-broker</c>) as a child process: started with arguments, ready once it prints
/// <c>READY host:port</c>, and killed the hard way (SIGKILL) to test crash recovery.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public string BootstrapServers { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dataDirectory, string listen = "127.0.0.1:0", params string[] extra)
    {
        // The server assembly is copied beside the tests by the project reference.
        var serverDll = Path.Combine(AppContext.BaseDirectory, "reactivekafka-broker.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(serverDll);
        foreach (var argument in (string[])["--data-dir", dataDirectory, "--listen", listen, .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("The server process did not start."));
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            server.BootstrapServers = await server._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            server.Kill();
            throw new TimeoutException("The server did not print READY within 60 s. Output:\n" + server.Output);
        }

        return server;
    }

    /// <summary>Runs the server with <paramref name="arguments"/> until it exits (it is expected to fail at start or to be a one-shot mode).</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(TimeSpan timeout, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await RunToExitSeparatelyAsync(timeout, arguments);
        return (exitCode, stdout + stderr);
    }

    /// <summary>As <see cref="RunToExitAsync"/>, with standard output and standard error apart.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitSeparatelyAsync(TimeSpan timeout, params string[] arguments)
    {
        var serverDll = Path.Combine(AppContext.BaseDirectory, "reactivekafka-broker.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(serverDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("The server process did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"The server did not exit within {timeout}. Output:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException("The server exited before it was ready. Output:\n" + Output));
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.StartsWith("READY ", StringComparison.Ordinal))
        {
            _ready.TrySetResult(line["READY ".Length..].Trim());
        }
    }

    /// <summary>SIGKILL: no flush, no shutdown hook; what survives is what was on disk.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then waits for the graceful stop; returns the exit code.</summary>
    public int Terminate()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!_process.WaitForExit(30_000))
        {
            Kill();
            throw new TimeoutException("The server did not stop within 30 s of SIGTERM. Output:\n" + Output);
        }

        // WaitForExit(timeout) returns before the redirected output is read to its end; only the parameterless
        // overload waits for that, so a last line ("Stopped") could be missing from Output without this.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
