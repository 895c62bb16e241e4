using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.StateLog;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.StateLog;

/// <summary>The generic state log under the offsets and transaction stores: framing, recovery, group commit, compaction.</summary>
public sealed class KeyedStateLogTests : IDisposable
{
    /// <summary>Small thresholds, so a few thousand records compact several times.</summary>
    private static readonly StateLogOptions Small = new() { CompactionMinBytes = 4096 };

    private readonly TempDirectory _directory = new();

    private string LogPath => _directory.Combine("state.log");

    private string Temporary => LogPath + KeyedStateLog<KeyValue>.CompactingSuffix;

    public void Dispose() => _directory.Dispose();

    private (KeyedStateLog<KeyValue> Log, KeyValueMachine State) Open(StateLogOptions? options = null)
    {
        var machine = new KeyValueMachine();
        return (KeyedStateLog<KeyValue>.Open(LogPath, machine, options ?? new StateLogOptions(), NullLogger.Instance), machine);
    }

    private static byte[] Frames(params KeyValue[] records)
    {
        var machine = new KeyValueMachine();
        return [.. records.SelectMany(r => StateLogFrame.Encode(machine.Payload(r)))];
    }

    [Fact]
    public async Task Append_ThenReopen_ReplaysTheLatestValuePerKeyAndForgetsDeleted()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1"), new KeyValue("b", "1")]);
            await log.Append([new KeyValue("a", "2"), new KeyValue("b", null), new KeyValue("c", "3")]);
        }

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["c"] = "3" }, state.State);
            Assert.Equal(5, reopened.RecordsInFile);
        }
    }

    [Fact]
    public async Task Open_TornLastFrame_IsCutAndAppendsContinueAfterTheIntactFrames()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1")]);
            await log.Append([new KeyValue("a", "2")]);
        }

        var intact = new FileInfo(LogPath).Length;
        var torn = Frames(new KeyValue("a", "3"));
        await File.AppendAllBytesAsync(LogPath, torn[..^2], TestContext.Current.CancellationToken);

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal("2", state.State["a"]);
            Assert.Equal(intact, new FileInfo(LogPath).Length);
            await reopened.Append([new KeyValue("a", "4")]);
        }

        var (again, after) = Open();
        await using (again)
        {
            Assert.Equal("4", after.State["a"]);
        }
    }

    [Fact]
    public async Task Open_CorruptCrc_StopsThereAndKeepsWhatCameBefore()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1")]);
            await log.Append([new KeyValue("b", "2")]);
            await log.Append([new KeyValue("a", "3")]);
        }

        var bytes = await File.ReadAllBytesAsync(LogPath, TestContext.Current.CancellationToken);
        var first = Frames(new KeyValue("a", "1")).Length;
        bytes[first + StateLogFrame.HeaderLength] ^= 0x40; // the second frame's payload: its CRC no longer matches
        await File.WriteAllBytesAsync(LogPath, bytes, TestContext.Current.CancellationToken);

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, state.State);
            Assert.Equal(first, new FileInfo(LogPath).Length);
        }
    }

    [Fact]
    public async Task Open_ZeroFilledTail_IsCut()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1")]);
        }

        var intact = new FileInfo(LogPath).Length;
        await File.AppendAllBytesAsync(LogPath, new byte[100], TestContext.Current.CancellationToken); // a crash after the size grew, before the data

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal("1", state.State["a"]);
            Assert.Equal(intact, new FileInfo(LogPath).Length);
        }
    }

    [Fact]
    public async Task Append_ManyUpdatesOfFewKeys_CompactsWhileRunningKeepingTheLatestValuePerKeyAndDroppingDeletes()
    {
        var (log, state) = Open(Small);
        var expected = new Dictionary<string, string>();
        await using (log)
        {
            long largest = 0;
            for (var i = 0; i < 5000; i++)
            {
                var key = "key-" + (i % 10);
                var record = i % 10 == 9 && i % 20 == 19 ? new KeyValue(key, null) : new KeyValue(key, "value-" + i);
                await log.Append([record]);
                if (record.Value is null)
                {
                    expected.Remove(key);
                }
                else
                {
                    expected[key] = record.Value;
                }

                largest = Math.Max(largest, new FileInfo(LogPath).Length);
            }

            Assert.True(log.Compactions >= 10, $"{log.Compactions} compactions");
            Assert.True(largest < Small.CompactionMinBytes + 1024, $"The file reached {largest} bytes.");
            Assert.Equal(expected, state.State);
            Assert.False(File.Exists(Temporary));
        }

        var (reopened, replayed) = Open(Small);
        await using (reopened)
        {
            Assert.Equal(expected, replayed.State);
            Assert.True(replayed.Applied < 5000 / 10, $"{replayed.Applied} records replayed");
        }
    }

    [Fact]
    public async Task Compaction_RewritesOnlyTheLiveKeySet()
    {
        var options = new StateLogOptions { CompactionMinBytes = 0, CompactionMinDeadRatio = 1 };
        var (log, _) = Open(options);
        await using (log)
        {
            // Dead ratio 1: a compaction runs only once every record in the file is dead, i.e. after the deletes.
            await log.Append([new KeyValue("a", "1"), new KeyValue("b", "1"), new KeyValue("a", "2")]);
            Assert.Equal(0, log.Compactions);
            await log.Append([new KeyValue("a", null), new KeyValue("b", null)]);

            // The flusher compacts after it answered the batch.
            await BrokerFixture.WaitUntilAsync(() => log.Compactions == 1, TimeSpan.FromSeconds(10), "the compaction after the deletes");
            Assert.Equal(0, new FileInfo(LogPath).Length);
            await log.Append([new KeyValue("c", "3")]);
        }

        var (reopened, state) = Open(options);
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["c"] = "3" }, state.State);
            Assert.Equal(1, reopened.RecordsInFile);
        }
    }

    [Fact]
    public async Task Open_CrashWhileWritingTheTemporaryFile_TheLogIsUsedAndTheTemporaryDeleted()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1"), new KeyValue("a", "2"), new KeyValue("b", "1")]);
        }

        // Killed part way through the temporary file: half a frame of a snapshot.
        await File.WriteAllBytesAsync(Temporary, Frames(new KeyValue("a", "2"), new KeyValue("b", "1"))[..^3], TestContext.Current.CancellationToken);

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["b"] = "1" }, state.State);
            Assert.False(File.Exists(Temporary));
            await reopened.Append([new KeyValue("c", "1")]);
        }

        var (again, after) = Open();
        await using (again)
        {
            Assert.Equal(3, after.State.Count);
        }
    }

    [Fact]
    public async Task Open_CrashAfterTheTemporaryFileIsCompleteBeforeTheRename_TheLogWinsOverTheOlderSnapshot()
    {
        var (log, _) = Open();
        await using (log)
        {
            await log.Append([new KeyValue("a", "1"), new KeyValue("a", "2")]);
        }

        // Both files complete: a snapshot taken earlier (a=1, and b which was since deleted) was fsync'd but never
        // renamed. Only the log holds everything acknowledged, so the snapshot must not be read.
        await File.WriteAllBytesAsync(Temporary, Frames(new KeyValue("a", "1"), new KeyValue("b", "9")), TestContext.Current.CancellationToken);

        var (reopened, state) = Open();
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "2" }, state.State);
            Assert.False(File.Exists(Temporary));
        }
    }

    [Fact]
    public async Task Open_CrashRightAfterTheRename_TheCompactedFileIsTheLog()
    {
        // What the rename leaves: the compacted file in the log's place, nothing else.
        await File.WriteAllBytesAsync(LogPath, Frames(new KeyValue("a", "2"), new KeyValue("b", "1")), TestContext.Current.CancellationToken);

        var (log, state) = Open();
        await using (log)
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "2", ["b"] = "1" }, state.State);
            await log.Append([new KeyValue("b", "2")]);
        }

        var (reopened, after) = Open();
        await using (reopened)
        {
            Assert.Equal("2", after.State["b"]);
        }
    }

    [Fact]
    public async Task Open_MostlyDeadFile_IsCompactedAtOpen()
    {
        await File.WriteAllBytesAsync(LogPath, Frames([.. Enumerable.Range(0, 1000).Select(i => new KeyValue("k" + (i % 3), "v" + i))]), TestContext.Current.CancellationToken);
        var before = new FileInfo(LogPath).Length;

        var (log, state) = Open(Small);
        await using (log)
        {
            Assert.Equal(1, log.Compactions);
            Assert.Equal(3, log.RecordsInFile);
            Assert.True(new FileInfo(LogPath).Length < before / 100);
            Assert.Equal(new Dictionary<string, string> { ["k0"] = "v999", ["k1"] = "v997", ["k2"] = "v998" }, state.State);
        }
    }

    [Fact]
    public async Task Append_ConcurrentCallers_AreWrittenInCallOrderAndShareFsyncs()
    {
        var (log, state) = Open();
        await using (log)
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(i => log.Append([new KeyValue("k", "v" + i)])));
            Assert.Equal("v499", state.State["k"]);
        }

        var (reopened, after) = Open();
        await using (reopened)
        {
            Assert.Equal("v499", after.State["k"]);
            Assert.Equal(500, reopened.RecordsInFile);
        }
    }

    [Theory]
    [InlineData((int)FlushPolicy.OperatingSystem)]
    [InlineData((int)FlushPolicy.Interval)]
    public async Task Append_UnderANonDurablePolicy_IsVisibleAtOnceAndSurvivesAReopen(int policy)
    {
        var options = new StateLogOptions { FlushPolicy = (FlushPolicy)policy, FlushInterval = TimeSpan.FromMilliseconds(20) };
        var (log, state) = Open(options);
        await using (log)
        {
            await log.Append([new KeyValue("a", "1")]);
            Assert.Equal("1", state.State["a"]);
        }

        var (reopened, after) = Open(options);
        await using (reopened)
        {
            Assert.Equal("1", after.State["a"]);
        }
    }

    [Fact]
    public async Task Append_RecordLargerThanRecoveryAccepts_FaultsAndWritesNothing()
    {
        var (log, state) = Open();
        await using (log)
        {
            // Written, it would read as a corrupt tail on the next open and hide every record after it.
            var error = await Assert.ThrowsAsync<ArgumentException>(() => log.Append([new KeyValue("a", "1"), new KeyValue("big", new string('x', 1 << 17))]));
            Assert.Contains("larger than the state log accepts", error.Message, StringComparison.Ordinal);
            await log.Append([new KeyValue("b", "2")]);
            Assert.Equal(new Dictionary<string, string> { ["b"] = "2" }, state.State);
        }

        var (reopened, after) = Open();
        await using (reopened)
        {
            Assert.Equal(new Dictionary<string, string> { ["b"] = "2" }, after.State);
        }
    }

    [Fact]
    public async Task Append_AfterDispose_FaultsWithObjectDisposed()
    {
        var (log, _) = Open();
        await log.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.Append([new KeyValue("a", "1")]));
    }

    [Theory]
    [InlineData(-1, 0.5, "CompactionMinBytes")]
    [InlineData(0, 0, "CompactionMinDeadRatio")]
    [InlineData(0, 1.5, "CompactionMinDeadRatio")]
    public void Open_OutOfRangeOption_NamesIt(long minBytes, double ratio, string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Open(new StateLogOptions { CompactionMinBytes = minBytes, CompactionMinDeadRatio = ratio }));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
