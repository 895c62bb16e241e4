using System.Diagnostics;
using ReactiveKafka.Benchmarks.Core;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// The broker's offsets store compacting while it runs: how long the rewrite of N live offsets takes (snapshot of the
/// state, frames, temporary file, fsync, rename, directory fsync, measured inside the store's flusher), vs writing the
/// same number of bytes crash-safely in one piece (<see cref="DurableFile.WriteAllBytes"/>: the disk's own cost).
/// </summary>
public sealed class StateLogCompactionScenario : IScenario
{
    private const int PartitionsPerGroup = 100;
    private const int RecordsPerAppend = 1000;
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public string Name => "state-log-compaction";

    public string Description => "offsets store compaction of N live offsets vs a crash-safe write of the same bytes";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var keys = context.Settings.Size(100_000, 2_000);
        var sizes = new List<double>();
        var probes = new Dictionary<string, List<double>>();
        void Add(string name, double value) => (probes.TryGetValue(name, out var list) ? list : probes[name] = []).Add(value);

        async Task<(double Milliseconds, long Bytes)> Probed(int run, bool inline)
        {
            var directory = context.NewDirectory("state-log");
            var (milliseconds, bytes, pause, snapshot, probe) = await CompactOnceAsync(directory, keys, inline);
            Directory.Delete(directory, recursive: true);
            if (run >= 0 && probe.Length > 0)
            {
                var side = inline ? "inline" : "concurrent";
                Array.Sort(probe);
                Add($"{side}: probe commit latency max (ms)", probe[^1]);
                Add($"{side}: probe commit latency p99 (ms)", Stats.Percentile(probe, 0.99));
                Add($"{side}: probe commit latency p50 (ms)", Stats.Percentile(probe, 0.5));
                Add($"{side}: flusher pause (ms)", pause);
                Add($"{side}: of which the live-set snapshot (ms)", snapshot);
            }

            return (milliseconds, bytes);
        }

        async Task<double> Compact(int run)
        {
            // The inline rewrite (the flusher compacts between batches, as before 2026-12-03) alternates with the
            // concurrent one in each run, for the probe's figures side by side.
            if (run % 2 == 0)
            {
                await Probed(run, inline: true);
            }

            var (milliseconds, bytes) = await Probed(run, inline: false);
            if (run % 2 != 0)
            {
                await Probed(run, inline: true);
            }

            sizes.Add(bytes);
            return milliseconds;
        }

        Task<double> WriteSame(int run) => Task.Run(() =>
        {
            var directory = context.NewDirectory("state-log-write");
            var content = new byte[(long)Stats.Median(sizes)];
            Random.Shared.NextBytes(content);
            var clock = Stopwatch.StartNew();
            DurableFile.WriteAllBytes(Path.Combine(directory, "offsets.log"), content);
            var milliseconds = clock.Elapsed.TotalMilliseconds;
            Directory.Delete(directory, recursive: true);
            return milliseconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("compaction", Compact, "durable write", WriteSame, warmups: 1);
        var ratio = Stats.Median(ratios);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{keys:N0} live offsets ({keys / PartitionsPerGroup:N0} groups × {PartitionsPerGroup} partitions), each committed twice; compacted file {Stats.Median(sizes) / (1024 * 1024):0.0} MiB; --flush durable",
            A = new SideResult("compaction", "ms", a),
            B = new SideResult("durable write", "ms", b),
            Ratios = ratios,
            Target = "ratio ≤ 4",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio <= 4,
            Extra =
            {
                ["compacted file (bytes)"] = Stats.Median(sizes),
                ["compaction µs per live key"] = Stats.Median(a) * 1000 / keys,
            },
            Notes =
            {
                "Compaction: KeyedStateLog.LastCompactionDuration of the offsets store's flusher, which compacts between write batches (before 2026-12-03 commits waited that long; now the rewrite runs beside the flusher, which pauses only to copy the tail written meanwhile and swap). Inline: the same with ConcurrentCompactionMinRecords above the live count, the flusher rewriting between batches. Probe: single-offset commits of another group, one after another, from the start of the second round until the compaction finished; their latency max / p99 / p50 per run (medians over runs). Durable write: temp file, one write, fsync, rename, directory fsync of a buffer of the compacted file's size.",
            },
        };
        foreach (var (name, values) in probes)
        {
            result.Extra[name] = Stats.Median([.. values]);
        }

        return result;
    }

    /// <summary>
    /// Commits every key twice, then waits for the compaction that half-dead file triggers, while a probe commits single
    /// offsets one after another (what a consumer's commit sees during the compaction).
    /// </summary>
    private static async Task<(double Milliseconds, long Bytes, double PauseMilliseconds, double SnapshotMilliseconds, double[] ProbeLatencies)> CompactOnceAsync(string directory, int keys, bool inline)
    {
        var options = new StateLogOptions { CompactionMinBytes = 0, ConcurrentCompactionMinRecords = inline ? long.MaxValue : 0 };
        await using var store = OffsetStore.Open(directory, options: options);
        var first = new List<Task>();
        for (var start = 0; start < keys; start += RecordsPerAppend)
        {
            first.Add(store.Append(Commits(start, keys, round: 0)));
        }

        await Task.WhenAll(first);

        using var stopProbe = new CancellationTokenSource();
        var probe = Task.Run(async () =>
        {
            var latencies = new List<double>();
            for (var i = 0; !stopProbe.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await store.Append([new OffsetLogRecord.Commit("probe", new GroupTopicPartition("probe", i % 8), new CommittedOffset(i, 3, "", At))]);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return latencies.ToArray();
        });

        // The second commit of each key, one batch at a time, until the half-dead file is compacted (checked after each batch).
        for (var round = 1; store.Log.Compactions == 0; round++)
        {
            if (round > 3)
            {
                throw new InvalidOperationException("The offsets store did not compact.");
            }

            for (var start = 0; start < keys && store.Log.Compactions == 0; start += RecordsPerAppend)
            {
                await store.Append(Commits(start, keys, round));
            }

            for (var wait = 0; wait < 100 && store.Log.Compactions == 0; wait++)
            {
                await Task.Delay(10);
            }
        }

        stopProbe.Cancel();
        var latencies = await probe;
        return (store.Log.LastCompactionDuration.TotalMilliseconds, store.Log.Length, store.Log.LastCompactionFlusherPause.TotalMilliseconds, store.Log.LastCompactionSnapshotDuration.TotalMilliseconds, latencies);
    }

    private static OffsetLogRecord[] Commits(int start, int keys, int round) =>
        [.. Enumerable.Range(start, Math.Min(RecordsPerAppend, keys - start)).Select(k => Commit(k, round))];

    private static OffsetLogRecord Commit(int key, int round) =>
        new OffsetLogRecord.Commit("group-" + (key / PartitionsPerGroup), new GroupTopicPartition("topic", key % PartitionsPerGroup), new CommittedOffset(round * 1_000_000L + key, 3, "", At));
}
