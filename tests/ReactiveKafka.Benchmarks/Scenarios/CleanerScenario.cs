using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Benchmarks.Core;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Cleaning;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// The log cleaner's throughput and memory: a compacted partition of 1 KiB updates over 10,000 keys (25 versions of
/// each) is cleaned to one record per key, in a fresh child process per run (this executable in probe mode) so that its
/// resident set is the cleaner's; vs copying the same segment files (read, write, fsync) — the disk's own bandwidth.
/// </summary>
public sealed class CleanerScenario : IScenario
{
    public const string ProbeArgument = "--probe-cleaner";
    private const int ValueSize = 1024;
    private const int RecordsPerBatch = 100;

    public string Name => "cleaner";

    public string Description => "log cleaner MB/s and peak memory on a dirty compacted log vs copying its segments";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var bytes = context.Settings.Size(256L * 1024 * 1024, 4L * 1024 * 1024);
        var keys = context.Settings.Size(10_000, 400);
        var segmentBytes = context.Settings.Size(16 * 1024 * 1024, 512 * 1024);
        var template = context.NewDirectory("cleaner-template");
        context.Log($"writing a {bytes / (1024 * 1024)} MiB compacted log over {keys:N0} keys");
        var dirty = await Task.Run(() => WriteLog(Path.Combine(template, "compacted-0"), bytes, keys, segmentBytes));
        var peaks = new List<double>();
        var maps = new List<double>();
        var kept = new List<double>();

        async Task<double> Clean(int run)
        {
            var directory = Copy(template, context.NewDirectory("cleaner-run"));
            var result = await RunProbeAsync(Path.Combine(directory, "compacted-0"), segmentBytes);
            peaks.Add(result.PeakDeltaBytes / (1024.0 * 1024));
            maps.Add(result.MapBytes / (1024.0 * 1024));
            kept.Add(result.RecordsKept);
            Directory.Delete(directory, recursive: true);
            return dirty / 1e6 / result.Seconds;
        }

        Task<double> CopySegments(int run) => Task.Run(() =>
        {
            var target = context.NewDirectory("cleaner-copy");
            var clock = Stopwatch.StartNew();
            var copied = CopyInactiveSegments(Path.Combine(template, "compacted-0"), target);
            var seconds = clock.Elapsed.TotalSeconds;
            Directory.Delete(target, recursive: true);
            return copied / 1e6 / seconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("cleaner", Clean, "segment copy", CopySegments);
        var peak = Stats.Median(peaks);
        var map = Stats.Median(maps);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{dirty / (1024.0 * 1024):0} MiB of inactive segments ({segmentBytes / 1024} KiB each), {ValueSize} B values, {keys:N0} keys × {bytes / ValueSize / keys} versions, {RecordsPerBatch} records per uncompressed batch, default cleaner options",
            A = new SideResult("cleaner", "MB/s", a),
            B = new SideResult("segment copy", "MB/s", b),
            Ratios = ratios,
            Target = "peak memory ≤ offset map + 64 MiB",
            Checked = $"peak {Report.F(peak)} MiB, map {Report.F(map)} MiB",
            Met = context.Smoke ? null : peak <= map + 64,
            Extra =
            {
                ["cleaner peak resident set above the opened log (MiB)"] = peak,
                ["offset map (MiB)"] = map,
                ["records kept"] = Stats.Median(kept),
            },
            Notes =
            {
                "Cleaner MB/s: inactive (dirty) bytes over the wall time of the whole clean (offset map pass, filter pass, fsync, swap) in a child process; peak memory: that process's VmHWM minus its VmRSS after opening the log. Segment copy: the same files read and written with a 1 MiB buffer, then fsync'd.",
            },
        };
    }

    /// <summary>The child process: opens the log, cleans it until nothing is dirty, prints SECONDS, PEAK, MAP and KEPT.</summary>
    public static int Probe(string[] args)
    {
        var directory = args[0];
        var config = Config(int.Parse(args[1], CultureInfo.InvariantCulture));
        var log = PartitionLog.Open(directory, config, TimeProvider.System, NullLogger.Instance);
        var cleaner = new LogCleaner(CleanerOptions.Default, () => [log], TimeProvider.System, NullLogger.Instance);
        GC.Collect();
        var baseline = ReadStatus("VmRSS");
        var clock = Stopwatch.StartNew();
        CleanerStats? last = null;
        long kept = 0, map = 0;
        while (cleaner.CleanFilthiestLog() is { EndOffset: >= 0 } stats)
        {
            last = stats;
            kept += stats.RecordsRetained;
            map = Math.Max(map, stats.MapMemoryBytes);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var peak = ReadStatus("VmHWM");
        log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (last is null)
        {
            Console.Error.WriteLine("Nothing was cleaned.");
            return 1;
        }

        Console.WriteLine($"SECONDS {seconds.ToString("R", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"PEAK {peak - baseline}");
        Console.WriteLine($"MAP {map}");
        Console.WriteLine($"KEPT {kept}");
        return 0;
    }

    private static LogConfig Config(int segmentBytes) => LogConfig.Default with
    {
        CleanupPolicy = "compact",
        FlushPolicy = FlushPolicy.OperatingSystem,
        SegmentBytes = segmentBytes,
    };

    // Returns the bytes of the inactive segments (what the cleaner will clean).
    private static long WriteLog(string directory, long bytes, int keys, int segmentBytes)
    {
        var log = PartitionLog.Open(directory, Config(segmentBytes), TimeProvider.System, NullLogger.Instance);
        var value = new byte[ValueSize];
        Random.Shared.NextBytes(value);
        var records = new Record[RecordsPerBatch];
        var total = bytes / ValueSize;
        for (long n = 0; n < total; n += RecordsPerBatch)
        {
            for (var i = 0; i < RecordsPerBatch; i++)
            {
                var key = System.Text.Encoding.UTF8.GetBytes($"key-{(n + i) % keys:D6}");
                records[i] = new Record(i, 1_700_000_000_000 + n + i, key, value);
            }

            var result = log.Append(RecordBatchWriter.WriteToArray(RecordBatchOptions.Default, records), 0);
            if (result.Error != ReactiveKafka.Protocol.ErrorCode.None)
            {
                throw new InvalidOperationException($"Append failed: {result.Error} {result.Message}");
            }
        }

        var inactive = log.Size - ActiveSize(log);
        log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return inactive;
    }

    private static long ActiveSize(PartitionLog log)
    {
        using var view = log.AcquireForCleaning();
        return view.Segments[^1].Size;
    }

    private static string Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return to;
    }

    private static long CopyInactiveSegments(string from, string to)
    {
        var logs = Directory.GetFiles(from, "*.log").Order(StringComparer.Ordinal).ToArray();
        var buffer = new byte[1024 * 1024];
        long copied = 0;
        foreach (var file in logs[..^1])
        {
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var target = new FileStream(Path.Combine(to, Path.GetFileName(file)), FileMode.Create, FileAccess.Write, FileShare.None, 1);
            int read;
            while ((read = source.Read(buffer)) > 0)
            {
                target.Write(buffer, 0, read);
                copied += read;
            }

            target.Flush(flushToDisk: true);
        }

        return copied;
    }

    private static async Task<(double Seconds, long PeakDeltaBytes, long MapBytes, long RecordsKept)> RunProbeAsync(string directory, int segmentBytes)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(CleanerScenario).Assembly.Location);
        }

        start.ArgumentList.Add(ProbeArgument);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(segmentBytes.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var values = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        if (process.ExitCode != 0 || !values.ContainsKey("SECONDS"))
        {
            throw new InvalidOperationException($"cleaner probe failed (exit {process.ExitCode}): {stdout} {await stderr}");
        }

        return (values["SECONDS"], (long)values["PEAK"], (long)values["MAP"], (long)values["KEPT"]);
    }

    private static long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
