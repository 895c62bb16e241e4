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

        async Task<double> Compact(int run)
        {
            var directory = context.NewDirectory("state-log");
            var (milliseconds, bytes) = await CompactOnceAsync(directory, keys);
            sizes.Add(bytes);
            Directory.Delete(directory, recursive: true);
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
        return new ScenarioResult
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
                "Compaction: KeyedStateLog.LastCompactionDuration of the offsets store's flusher, which compacts between write batches (commits wait that long). Durable write: temp file, one write, fsync, rename, directory fsync of a buffer of the compacted file's size.",
            },
        };
    }

    /// <summary>Commits every key twice, then waits for the compaction that half-dead file triggers.</summary>
    private static async Task<(double Milliseconds, long Bytes)> CompactOnceAsync(string directory, int keys)
    {
        await using var store = OffsetStore.Open(directory, options: new StateLogOptions { CompactionMinBytes = 0 });
        var first = new List<Task>();
        for (var start = 0; start < keys; start += RecordsPerAppend)
        {
            first.Add(store.Append(Commits(start, keys, round: 0)));
        }

        await Task.WhenAll(first);

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

        return (store.Log.LastCompactionDuration.TotalMilliseconds, store.Log.Length);
    }

    private static OffsetLogRecord[] Commits(int start, int keys, int round) =>
        [.. Enumerable.Range(start, Math.Min(RecordsPerAppend, keys - start)).Select(k => Commit(k, round))];

    private static OffsetLogRecord Commit(int key, int round) =>
        new OffsetLogRecord.Commit("group-" + (key / PartitionsPerGroup), new GroupTopicPartition("topic", key % PartitionsPerGroup), new CommittedOffset(round * 1_000_000L + key, 3, "", At));
}
