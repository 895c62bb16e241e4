using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>
/// The standalone bundled broker (<c>src/ReactiveKafka.Broker.Server</c>) as a child process: started with
/// <c>--listen 127.0.0.1:0</c>, ready when it prints <c>READY host:port</c>; killed (SIGKILL) or stopped (SIGTERM).
/// </summary>
public sealed partial class BrokerServer : IAsyncDisposable
{
    private readonly Process _process;

    private BrokerServer(Process process, string bootstrapServers, TimeSpan startTime)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
        StartTime = startTime;
    }

    public string BootstrapServers { get; }

    /// <summary>From process start to the READY line.</summary>
    public TimeSpan StartTime { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server on <paramref name="dataDirectory"/> and waits for READY.</summary>
    public static async Task<BrokerServer> StartAsync(
        string dataDirectory, string flush = "durable", int partitions = 1, TimeSpan? timeout = null, IEnumerable<string>? extraArguments = null)
    {
        var (fileName, prefix) = Locate();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix.Concat(["--data-dir", dataDirectory, "--listen", "127.0.0.1:0", "--flush", flush, "--partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), "--log-level", "warning", .. extraArguments ?? []]))
        {
            start.ArgumentList.Add(arg);
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("The broker server closed its output before READY: " + string.Join(" | ", output.TakeLast(10))));
                return;
            }

            if (e.Data.StartsWith("READY ", StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data["READY ".Length..].Trim());
            }
            else
            {
                Remember(output, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Remember(output, e.Data);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The broker server exited ({SafeExitCode(process)}) before READY: " + string.Join(" | ", output.TakeLast(10))));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string bootstrap;
        try
        {
            bootstrap = await ready.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(120));
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }

        return new BrokerServer(process, bootstrap, clock.Elapsed);
    }

    private static void Remember(System.Collections.Concurrent.ConcurrentQueue<string> output, string line)
    {
        output.Enqueue(line);
        while (output.Count > 50 && output.TryDequeue(out _))
        {
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return "exit code " + process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return "exit code unknown";
        }
    }

    /// <summary>CPU seconds (user + system) the server process has used so far.</summary>
    public double CpuSeconds() => ProcessCpu.ReadStat($"/proc/{_process.Id}/stat").Ticks / ProcessCpu.TicksPerSecond;

    /// <summary>The resident set size (VmRSS) of the server process, in bytes.</summary>
    public long ResidentBytes() => ReadVmRss(_process.Id);

    public static long ReadVmRss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>kill -9.</summary>
    public async Task KillAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the server flushes and exits cleanly.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = SendSignal(_process.Id, 15);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Kill(_process);
            await _process.WaitForExitAsync();
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);

    /// <summary>How to run the server: <c>dotnet reactivekafka-broker.dll</c> from our output or the server's own.</summary>
    private static (string FileName, string[] Prefix) Locate()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(dotnet) || !File.Exists(dotnet))
        {
            var candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            dotnet = File.Exists(candidate) ? candidate : "dotnet";
        }

        var candidates = new List<string> { AppContext.BaseDirectory };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReactiveKafka.sln")))
            {
                foreach (var configuration in new[] { "Release", "Debug" })
                {
                    candidates.Add(Path.Combine(dir.FullName, "src", "ReactiveKafka.Broker.Server", "bin", configuration, "net10.0"));
                }

                break;
            }
        }

        foreach (var dir in candidates)
        {
            var dll = Path.Combine(dir, "reactivekafka-broker.dll");
            if (File.Exists(dll) && File.Exists(Path.Combine(dir, "reactivekafka-broker.runtimeconfig.json")))
            {
                return (dotnet, [dll]);
            }
        }

        throw new FileNotFoundException("reactivekafka-broker.dll (src/ReactiveKafka.Broker.Server) not found; build the solution first. Looked in: " + string.Join(", ", candidates));
    }
}
