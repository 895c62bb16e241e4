using System.Diagnostics;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>
/// The CPU time this process spent during one run, split by thread name (librdkafka names its threads
/// <c>rdk:broker1</c>, <c>rdk:main</c>; .NET names thread-pool workers). Read from <c>/proc/self/task</c>, so Linux only;
/// elsewhere only the process total is shown. The split shows what bounds a run on two cores: where a side spends CPU
/// that the other does not.
/// </summary>
public sealed class ProcessCpu
{
    private readonly Dictionary<int, (string Name, long Ticks)> _start;
    private readonly TimeSpan _startTotal;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _allocated = GC.GetTotalAllocatedBytes(precise: false);
    private readonly int _gen0 = GC.CollectionCount(0);
    private readonly int _gen1 = GC.CollectionCount(1);
    private readonly TimeSpan _paused = GC.GetTotalPauseDuration();

    private ProcessCpu()
    {
        _startTotal = Process.GetCurrentProcess().TotalProcessorTime;
        _start = ReadThreads();
    }

    public static ProcessCpu Start() => new();

    /// <summary>What the run cost this process: CPU by thread name, allocation, collections and GC pauses.</summary>
    public RunCost Stop()
    {
        var wall = _clock.Elapsed;
        var total = Process.GetCurrentProcess().TotalProcessorTime - _startTotal;
        var end = ReadThreads();
        var byName = new Dictionary<string, long>();
        foreach (var (tid, (name, ticks)) in end)
        {
            var before = _start.TryGetValue(tid, out var s) && s.Name == name ? s.Ticks : 0;
            var delta = ticks - before;
            if (delta > 0)
            {
                byName[name] = byName.GetValueOrDefault(name) + delta;
            }
        }

        return new RunCost(
            total.TotalSeconds,
            wall.TotalSeconds,
            (GC.GetTotalAllocatedBytes(precise: false) - _allocated) / (1024.0 * 1024),
            GC.CollectionCount(0) - _gen0,
            GC.CollectionCount(1) - _gen1,
            (GC.GetTotalPauseDuration() - _paused).TotalMilliseconds,
            byName.OrderByDescending(p => p.Value).Take(4).Select(p => (p.Key, p.Value / TicksPerSecond)).ToList());
    }

    // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    internal const double TicksPerSecond = 100.0;

    /// <summary>The name and CPU ticks (user + system, USER_HZ) in a <c>/proc/.../stat</c> file of a process or thread.</summary>
    internal static (string Name, long Ticks) ReadStat(string path)
    {
        var stat = File.ReadAllText(path);
        var open = stat.IndexOf('(');
        var close = stat.LastIndexOf(')');
        var fields = stat[(close + 2)..].Split(' ');

        // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
            + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return (stat[(open + 1)..close], ticks);
    }

    private static Dictionary<int, (string, long)> ReadThreads()
    {
        var threads = new Dictionary<int, (string, long)>();
        if (!OperatingSystem.IsLinux())
        {
            return threads;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                threads[int.Parse(Path.GetFileName(dir))] = ReadStat(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                // The thread ended while we read.
            }
        }

        return threads;
    }
}

/// <summary>The cost of one run in the measuring process (the broker's own process is not included).</summary>
public sealed record RunCost(
    double CpuSeconds, double WallSeconds, double AllocatedMiB, int Gen0, int Gen1, double GcPauseMs,
    IReadOnlyList<(string Thread, double Seconds)> Threads)
{
    /// <summary>"cpu 1.23 s in 0.80 s (.NET TP Worker 0.60, ...); allocated 250 MiB; GCs 30/2, paused 40 ms".</summary>
    public override string ToString()
    {
        var split = Threads.Count == 0 ? "" : $" ({string.Join(", ", Threads.Select(t => $"{t.Thread} {t.Seconds:0.00}"))})";
        return $"cpu {CpuSeconds:0.00} s in {WallSeconds:0.00} s{split}; allocated {AllocatedMiB:0} MiB; GCs gen0/gen1 {Gen0}/{Gen1}, paused {GcPauseMs:0} ms";
    }
}
