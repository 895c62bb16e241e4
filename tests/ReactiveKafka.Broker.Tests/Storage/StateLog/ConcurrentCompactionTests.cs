using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage.StateLog;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.StateLog;

/// <summary>
/// A compaction whose snapshot is written beside the flusher: appends made meanwhile complete without waiting for it,
/// are copied into the new file at the swap in their order, and a crash (the files as they are) at each step of the swap
/// recovers every acknowledged record.
/// </summary>
public sealed class ConcurrentCompactionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Compacts as soon as half the records are dead, always beside the flusher.</summary>
    private static readonly StateLogOptions Concurrent = new() { CompactionMinBytes = 0, ConcurrentCompactionMinRecords = 0 };

    private readonly TempDirectory _directory = new();

    private string LogPath => _directory.Combine("state.log");

    private static string TemporaryOf(string path) => path + KeyedStateLog<KeyValue>.CompactingSuffix;

    public void Dispose() => _directory.Dispose();

    private static (KeyedStateLog<KeyValue> Log, KeyValueMachine State) Open(string path, StateLogOptions options)
    {
        var machine = new KeyValueMachine();
        return (KeyedStateLog<KeyValue>.Open(path, machine, options, NullLogger.Instance), machine);
    }

    /// <summary>Writes updates of 100 keys, one append each, until a compaction took its snapshot.</summary>
    private static async Task FillUntilAsync(KeyedStateLog<KeyValue> log, Dictionary<string, string> expected, Task started)
    {
        for (var i = 0; !started.IsCompleted; i++)
        {
            Assert.True(i < 20_000, "No compaction started.");
            var record = new KeyValue("k" + (i % 100), "a" + i);
            await log.Append([record]).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            expected[record.Key] = record.Value!;
        }
    }

    /// <summary>
    /// While the compaction is held back: updates of old and new keys and deletes of keys the snapshot holds, one append
    /// at a time, each acknowledged within the timeout although the compaction is not finished.
    /// </summary>
    private static async Task WriteDuringAsync(KeyedStateLog<KeyValue> log, Dictionary<string, string> expected, int count, string prefix = "b")
    {
        for (var i = 0; i < count; i++)
        {
            var key = "k" + (i % 150);
            var record = i % 15 == 0 ? new KeyValue(key, null) : new KeyValue(key, prefix + i);
            await log.Append([record]).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            if (record.Value is null)
            {
                expected.Remove(key);
            }
            else
            {
                expected[key] = record.Value;
            }

            Assert.Equal(0, log.Compactions);
        }
    }

    /// <summary>The log and temporary files as a kill -9 at this moment leaves them (the page cache survives it).</summary>
    private void CopyAsCrash(string name)
    {
        var target = Directory.CreateDirectory(_directory.Combine("crash-" + name)).FullName;
        foreach (var source in new[] { LogPath, TemporaryOf(LogPath) }.Where(File.Exists))
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var output = File.Create(Path.Combine(target, Path.GetFileName(source)));
            input.CopyTo(output);
        }
    }

    [Fact]
    public async Task AppendsDuringACompaction_CompleteWithoutWaitingAndAreCopiedInOrder_ACrashAtEachStepLosesNothing()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var beforeCatchUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var beforeSwap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var steps = new List<CompactionStep>();
        long liveAtSnapshot = 0, recordsAtSnapshot = 0;
        var (log, state) = Open(LogPath, Concurrent);
        var expected = new Dictionary<string, string>();
        var atCrash = new Dictionary<CompactionStep, Dictionary<string, string>>();
        await using (log)
        {
            log.CompactionStepHook = step =>
            {
                lock (steps)
                {
                    steps.Add(step);
                }

                switch (step)
                {
                    case CompactionStep.SnapshotTaken:
                        // On the flusher, between batches: what the snapshot holds.
                        liveAtSnapshot = ((IStateLogMachine<KeyValue>)state).LiveCount;
                        recordsAtSnapshot = log.RecordsInFile;
                        started.TrySetResult();
                        return;
                    case CompactionStep.SnapshotWritten:
                        // Beside the flusher: hold the rewrite back while the test appends, as a slow disk would; the
                        // appends made now are copied by the catch-up.
                        beforeCatchUp.Task.Wait(Timeout);
                        break;
                    case CompactionStep.CaughtUp:
                        // The appends made now are copied by the flusher at the swap.
                        beforeSwap.Task.Wait(Timeout);
                        break;
                }

                CopyAsCrash(step.ToString());
            };

            await FillUntilAsync(log, expected, started.Task);
            await WriteDuringAsync(log, expected, 150, "b");
            atCrash[CompactionStep.SnapshotWritten] = new Dictionary<string, string>(expected);
            beforeCatchUp.SetResult();
            await BrokerFixture.WaitUntilAsync(() => { lock (steps) { return steps.Contains(CompactionStep.CaughtUp); } }, Timeout, "the catch-up");
            await WriteDuringAsync(log, expected, 150, "c");
            Assert.Equal(expected, state.State);
            var tail = log.RecordsInFile - recordsAtSnapshot;
            Assert.True(tail >= 300, $"{tail} records after the snapshot.");
            foreach (var step in new[] { CompactionStep.CaughtUp, CompactionStep.TailCopied, CompactionStep.Renamed, CompactionStep.Swapped })
            {
                atCrash[step] = new Dictionary<string, string>(expected);
            }

            beforeSwap.SetResult();
            await BrokerFixture.WaitUntilAsync(() => log.Compactions == 1, Timeout, "the swap of the compaction");
            log.CompactionStepHook = null;
            Assert.Equal([CompactionStep.SnapshotTaken, CompactionStep.SnapshotWritten, CompactionStep.CaughtUp, CompactionStep.TailCopied, CompactionStep.Renamed, CompactionStep.Swapped], steps);
            Assert.False(File.Exists(TemporaryOf(LogPath)));
            Assert.True(recordsAtSnapshot > liveAtSnapshot, "The snapshot dropped nothing.");
            Assert.Equal(liveAtSnapshot + tail, log.RecordsInFile);
            Assert.Equal(expected, state.State);

            // The new file is the log: appends go on after the copied tail.
            await log.Append([new KeyValue("k1", "after"), new KeyValue("k2", null)]);
            expected["k1"] = "after";
            expected.Remove("k2");
        }

        var (reopened, replayed) = Open(LogPath, Concurrent);
        await using (reopened)
        {
            Assert.Equal(expected, replayed.State);
        }

        foreach (var (step, want) in atCrash)
        {
            var crashed = Path.Combine(_directory.Combine("crash-" + step), Path.GetFileName(LogPath));
            var (recovered, recoveredState) = Open(crashed, Concurrent);
            await using (recovered)
            {
                var got = recoveredState.State;
                Assert.True(want.Count == got.Count && !want.Except(got).Any(), $"A crash after {step} recovered a different state.");
                Assert.False(File.Exists(TemporaryOf(crashed)), $"A crash after {step}: the temporary file is still there after open.");
            }
        }
    }

    [Fact]
    public async Task ASnapshotWriteFailing_TheTemporaryFileIsDroppedAndTheLogKeepsEverything()
    {
        var failures = 0;
        var (log, state) = Open(LogPath, Concurrent);
        var expected = new Dictionary<string, string>();
        await using (log)
        {
            log.CompactionStepHook = step =>
            {
                if (step == CompactionStep.SnapshotWritten && Interlocked.Increment(ref failures) == 1)
                {
                    throw new IOException("injected: the disk is full");
                }
            };

            for (var i = 0; log.Compactions == 0; i++)
            {
                Assert.True(i < 50_000, "No compaction succeeded after the failed one.");
                var record = new KeyValue("k" + (i % 100), "v" + i);
                await log.Append([record]).WaitAsync(Timeout, TestContext.Current.CancellationToken);
                expected[record.Key] = record.Value!;
            }

            Assert.True(failures >= 2, $"{failures} snapshot writes.");
            Assert.False(File.Exists(TemporaryOf(LogPath)));
            Assert.Equal(expected, state.State);
        }

        var (reopened, replayed) = Open(LogPath, Concurrent);
        await using (reopened)
        {
            Assert.Equal(expected, replayed.State);
        }
    }

    [Fact]
    public async Task DisposeDuringACompaction_DeletesTheTemporaryFileAndTheLogKeepsEverything()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (log, _) = Open(LogPath, Concurrent);
        var expected = new Dictionary<string, string>();
        log.CompactionStepHook = step =>
        {
            if (step == CompactionStep.SnapshotTaken)
            {
                started.TrySetResult();
            }
            else if (step == CompactionStep.SnapshotWritten)
            {
                release.Task.Wait(Timeout);
            }
        };

        await FillUntilAsync(log, expected, started.Task);
        await WriteDuringAsync(log, expected, 20);
        var disposing = log.DisposeAsync().AsTask();
        release.SetResult();
        await disposing.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(0, log.Compactions);
        Assert.False(File.Exists(TemporaryOf(LogPath)));

        var (reopened, replayed) = Open(LogPath, new StateLogOptions { CompactionMinBytes = long.MaxValue });
        await using (reopened)
        {
            Assert.Equal(expected, replayed.State);
        }
    }
}
