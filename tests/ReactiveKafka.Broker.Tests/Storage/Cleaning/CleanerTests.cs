using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Cleaning;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

/// <summary>The cleaner on a log opened directly: what it keeps, where, and what a crash at each swap step leaves.</summary>
public sealed class CleanerTests : IDisposable
{
    private static readonly LogConfig Compact = LogConfig.Default with
    {
        FlushPolicy = FlushPolicy.OperatingSystem,
        CleanupPolicy = "compact",
        SegmentBytes = 4096,
        MinCleanableDirtyRatio = 0.01,
        DeleteRetentionMs = 60_000,
    };

    private static readonly LogConfig OneGroup = Compact with { SegmentBytes = 1 << 20 };

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("compacted-0");

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig? config = null) => PartitionLog.Open(Dir, config ?? Compact, _time, NullLogger.Instance);

    private LogCleaner Cleaner(PartitionLog log, CleanerOptions? options = null) =>
        new(options ?? CleanerOptions.Default, () => [log], _time, NullLogger.Instance);

    // `rounds` updates of `keys` keys, 10 records per batch: record i is key (i % keys), value "v{i}", offset i.
    private static void Fill(PartitionLog log, int keys, int rounds, RecordBatchOptions? options = null, long start = 0, string prefix = "k")
    {
        var total = keys * rounds;
        for (var i = 0; i < total; i += 10)
        {
            var batch = KeyedBatches.Create(Enumerable.Range((int)start + i, 10).Select(n => ((string?)$"{prefix}{n % keys}", (string?)$"v{n}")), options: options);
            Assert.Equal(ErrorCode.None, log.Append(batch, 0).Error);
        }
    }

    // What a clean up to `end` must leave: below it, the latest record of each key below it; from it on, everything.
    private static List<(long, string?, string?)> Compacted(List<(long Offset, string? Key, string? Value)> records, long end)
    {
        var latest = records.Where(r => r.Offset < end).GroupBy(r => r.Key).ToDictionary(g => g.Key!, g => g.Max(r => r.Offset));
        return [.. records.Where(r => r.Offset >= end || latest[r.Key!] == r.Offset).Select(r => (r.Offset, r.Key, r.Value))];
    }

    private static void CleanUntilIdle(LogCleaner cleaner)
    {
        for (var i = 0; i < 1000 && cleaner.CleanFilthiestLog(TestContext.Current.CancellationToken) is { } stats; i++)
        {
            Assert.False(stats.Aborted);
        }
    }

    [Fact]
    public async Task Clean_LogWithDamageKeptInPlace_IsSkippedAndEveryByteStays()
    {
        await using (var log = Open())
        {
            Fill(log, keys: 100, rounds: 20);
        }

        // A CRC failure in the middle of the first segment: recovery keeps it in place as a damaged range.
        var first = Directory.GetFiles(Dir, "*.log").Order().First();
        var bytes = File.ReadAllBytes(first);
        RecordBatchHeader.TryRead(bytes, out var header);
        var victim = header.TotalSize; // the second batch
        using (var file = File.OpenHandle(first, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(file, new byte[] { 0xde, 0xad, 0xbe, 0xef }, victim + RecordBatchHeader.Size + 4);
        }

        File.Delete(Path.ChangeExtension(first, ".index"));
        var sizes = Directory.GetFiles(Dir, "*.log").Order().Select(f => new FileInfo(f).Length).ToList();
        await using var reopened = Open();
        Assert.NotEmpty(reopened.DamagedRanges());
        var cleaner = Cleaner(reopened);

        Assert.Null(cleaner.CleanFilthiestLog(TestContext.Current.CancellationToken));

        Assert.True(cleaner.IsUncleanable(reopened));
        Assert.Equal(sizes, Directory.GetFiles(Dir, "*.log").Order().Select(f => new FileInfo(f).Length));
    }

    [Fact]
    public async Task Clean_KeepsTheLatestRecordPerKeyAtItsOriginalOffset_ActiveSegmentUntouched()
    {
        await using var log = Open();
        Fill(log, keys: 100, rounds: 20);
        var before = KeyedBatches.ReadAll(log).Records;
        var activeBase = KeyedBatches.ActiveBase(log);
        var activeBytes = File.ReadAllBytes(Path.Combine(Dir, LogSegment.FileStem(activeBase) + ".log"));
        var sizeBefore = log.Size;

        var stats = Cleaner(log).CleanFilthiestLog(TestContext.Current.CancellationToken);

        Assert.NotNull(stats);
        Assert.Equal(activeBase, stats.EndOffset);
        Assert.Equal(activeBase, CleanerCheckpoint.Read(Dir));
        Assert.Equal(Compacted(before, activeBase), KeyedBatches.ReadAll(log).Records);
        Assert.Equal(activeBytes, File.ReadAllBytes(Path.Combine(Dir, LogSegment.FileStem(activeBase) + ".log")));
        Assert.True(log.Size < sizeBefore / 2, $"{log.Size} bytes after cleaning, {sizeBefore} before.");
        Assert.Equal(2000, log.LogEndOffset);
        Assert.DoesNotContain(Directory.EnumerateFiles(Dir), f => f.EndsWith(".cleaned") || f.EndsWith(".swap") || f.EndsWith(".deleted"));
    }

    [Fact]
    public async Task Clean_ThenReopen_SameRecordsAndFetchFromARemovedOffsetGetsTheNextRecord()
    {
        List<(long Offset, string? Key, string? Value)> cleaned;
        await using (var log = Open())
        {
            Fill(log, keys: 50, rounds: 20);
            CleanUntilIdle(Cleaner(log));
            cleaned = KeyedBatches.ReadAll(log).Records;
        }

        await using var reopened = Open();
        Assert.Equal(cleaned, KeyedBatches.ReadAll(reopened).Records);

        var removed = Enumerable.Range(0, 1000).First(o => cleaned.All(r => r.Offset != o));
        var next = cleaned.First(r => r.Offset > removed);
        Assert.Equal(next, KeyedBatches.ReadAll(reopened, from: removed).Records[0]);
    }

    [Fact]
    public async Task Clean_OffsetMapSmallerThanTheDirtyKeys_CleansInRoundsToTheSameResult()
    {
        await using var log = Open();
        Fill(log, keys: 200, rounds: 10);
        var before = KeyedBatches.ReadAll(log).Records;
        var activeBase = KeyedBatches.ActiveBase(log);
        var cleaner = Cleaner(log, CleanerOptions.Default with { DedupeBufferSize = 60 * OffsetMap.BytesPerSlot });

        var ends = new List<long>();
        while (cleaner.CleanFilthiestLog(TestContext.Current.CancellationToken) is { EndOffset: >= 0 } stats)
        {
            ends.Add(stats.EndOffset);
        }

        Assert.True(ends.Count > 3, $"Expected several rounds, got ends {string.Join(", ", ends)}.");
        Assert.Equal(ends.Order(), ends);
        Assert.Equal(activeBase, ends[^1]);
        var after = KeyedBatches.ReadAll(log).Records;
        foreach (var key in before.Where(r => r.Offset < activeBase).Select(r => r.Key).Distinct())
        {
            var latest = before.Where(r => r.Key == key && r.Offset < activeBase).Max(r => r.Offset);
            Assert.Contains(after, r => r.Offset == latest);
        }

        Assert.Equal(Compacted(before, activeBase), after);
    }

    [Fact]
    public async Task Read_AtSegmentsLeftWithOnlyEmptyBatches_ServesTheNextRecords()
    {
        await using var log = Open();
        Fill(log, keys: 1, rounds: 2000, prefix: "same");
        Fill(log, keys: 1, rounds: 400, start: 5000, prefix: "filler"); // More than a segment: "same0" is all inactive.
        CleanUntilIdle(Cleaner(log));
        var latest = KeyedBatches.ReadAll(log).Records.Single(r => r.Key == "same0");
        Assert.Equal(1999, latest.Offset);

        using var read = log.Read(0, 1 << 20, log.HighWatermark);

        var batches = RecordBatchReader.ReadAll(read.Records);
        Assert.Contains(batches, b => b.Records.Count > 0);
        Assert.Equal(1999, batches.SelectMany(b => b.Records).First().Offset);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Clean_CompressedBatches_RecompressedWithTheSameCodec(CompressionType codec)
    {
        await using var log = Open();
        Fill(log, keys: 30, rounds: 40, new RecordBatchOptions { Compression = codec });
        var before = KeyedBatches.ReadAll(log).Records;
        var activeBase = KeyedBatches.ActiveBase(log);

        CleanUntilIdle(Cleaner(log));

        var (records, batches) = KeyedBatches.ReadAll(log);
        Assert.Equal(Compacted(before, activeBase), records);
        Assert.All(batches.Where(b => b.RecordCount > 0), b => Assert.Equal(codec, b.Compression));
    }

    [Fact]
    public async Task Tombstones_KeptUntilDeleteRetentionAfterTheFirstClean_ThenRemoved()
    {
        await using var log = Open();
        Fill(log, keys: 20, rounds: 5);
        for (var k = 0; k < 10; k++)
        {
            log.Append(KeyedBatches.One($"k{k}", null), 0);
        }

        Fill(log, keys: 20, rounds: 10, start: 10_000); // Later values of other keys... and of k0-k9 again.
        for (var k = 0; k < 5; k++)
        {
            log.Append(KeyedBatches.One($"k{k}", null), 0);
        }

        Fill(log, keys: 1, rounds: 200, start: 20_000, prefix: "filler"); // Rolls the tombstones out of the active segment.
        var cleaner = Cleaner(log);
        CleanUntilIdle(cleaner);

        var first = KeyedBatches.ReadAll(log);
        Assert.Equal(5, first.Records.Count(r => r.Value is null));
        Assert.All(first.Batches.Where(b => b.RecordCount == 1 && first.Records.Any(r => r.Value is null && r.Offset == b.BaseOffset)),
            b => Assert.Equal(_time.NowMs + Compact.DeleteRetentionMs, b.DeleteHorizonMs));

        // Before the horizon a new clean keeps them.
        _time.Advance(TimeSpan.FromMilliseconds(Compact.DeleteRetentionMs - 1));
        Fill(log, keys: 1, rounds: 200, start: 30_000, prefix: "filler");
        CleanUntilIdle(cleaner);
        Assert.Equal(5, KeyedBatches.ReadAll(log).Records.Count(r => r.Value is null));

        // After it, the next clean removes them, and nothing of those keys is left.
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Fill(log, keys: 1, rounds: 200, start: 40_000, prefix: "filler");
        CleanUntilIdle(cleaner);
        var after = KeyedBatches.ReadAll(log).Records;
        Assert.DoesNotContain(after, r => r.Value is null);
        Assert.DoesNotContain(after, r => r.Key is "k0" or "k1" or "k2" or "k3" or "k4");
        Assert.Contains(after, r => r.Key == "k5");
    }

    [Fact]
    public async Task ProducerBatches_TheLastOfEachProducerIdIsKeptEmpty()
    {
        await using var log = Open();
        log.Append(KeyedBatches.One("a", "1", options: new RecordBatchOptions { ProducerId = 77, ProducerEpoch = 0, BaseSequence = 0 }), 0);
        log.Append(KeyedBatches.One("b", "1", options: new RecordBatchOptions { ProducerId = 77, ProducerEpoch = 0, BaseSequence = 1 }), 0);
        log.Append(KeyedBatches.One("a", "2"), 0);
        log.Append(KeyedBatches.One("b", "2"), 0);
        Fill(log, keys: 1, rounds: 200, start: 100, prefix: "filler");

        CleanUntilIdle(Cleaner(log));

        var (records, batches) = KeyedBatches.ReadAll(log);
        Assert.DoesNotContain(records, r => r.Value == "1");
        var kept = Assert.Single(batches, b => b.ProducerId == 77);
        Assert.Equal((1L, 0, 1), (kept.BaseOffset, kept.RecordCount, kept.BaseSequence));
    }

    [Fact]
    public async Task Append_ActiveSegmentOlderThanMaxCompactionLag_Rolls()
    {
        await using var log = Open(Compact with { MaxCompactionLagMs = 1000 });
        log.Append(KeyedBatches.One("a", "1"), appendTimeMs: 10_000);
        log.Append(KeyedBatches.One("a", "2"), appendTimeMs: 10_900);
        Assert.Equal(1, log.SegmentCount);

        log.Append(KeyedBatches.One("a", "3"), appendTimeMs: 11_001);

        Assert.Equal(2, log.SegmentCount);
    }

    [Fact]
    public async Task Append_KeylessRecordOnCompactedTopic_InvalidRecord()
    {
        await using var log = Open();

        var result = log.Append(KeyedBatches.Create([("k", "v"), (null, "no key")]), 0);

        Assert.Equal(ErrorCode.InvalidRecord, result.Error);
        Assert.Contains("Compacted topic cannot accept message without key in topic partition compacted-0", result.Message);
        Assert.Equal(0, log.LogEndOffset);
        await using var plain = PartitionLog.Open(_temp.Combine("plain-0"), Compact with { CleanupPolicy = "delete" }, _time, NullLogger.Instance);
        Assert.Equal(ErrorCode.None, plain.Append(KeyedBatches.One(null, "no key"), 0).Error);
    }

    [Fact]
    public async Task FetchHoldingAnOldSegment_KeepsReadingItAfterTheSwap()
    {
        await using var log = Open();
        Fill(log, keys: 10, rounds: 100);
        var read = log.Read(0, 1 << 20, log.HighWatermark);
        var expected = read.Records.ToArray();

        CleanUntilIdle(Cleaner(log));

        using (var now = log.Read(0, 1 << 20, log.HighWatermark))
        {
            Assert.NotEqual(expected.Length, now.Length);
        }

        Assert.Contains(Directory.EnumerateFiles(Dir), f => f.EndsWith(".log.deleted"));
        Assert.Equal(expected, read.Records.ToArray());
        read.Dispose();
        Assert.DoesNotContain(Directory.EnumerateFiles(Dir), f => f.EndsWith(".deleted"));
    }

    [Fact]
    public async Task Clean_RetentionDeletedTheGroupMeanwhile_SwapAbandonedNothingLost()
    {
        await using var log = Open(Compact with { CleanupPolicy = "compact,delete", RetentionMs = 1 });
        Fill(log, keys: 10, rounds: 50);
        log.SwapStepHook = step =>
        {
            if (step == SegmentSwap.Step.Written)
            {
                log.SwapStepHook = null;
                log.ApplyRetention(long.MaxValue / 2);
            }
        };

        var stats = Cleaner(log).CleanFilthiestLog(TestContext.Current.CancellationToken);

        Assert.NotNull(stats);
        Assert.True(stats.Aborted);
        Assert.DoesNotContain(Directory.EnumerateFiles(Dir), f => f.EndsWith(".cleaned"));
        Assert.Equal(500, log.LogEndOffset);
        Assert.Equal(KeyedBatches.ActiveBase(log), log.LogStartOffset);
    }

    [Theory]
    [InlineData(nameof(SegmentSwap.Step.Written), false)]
    [InlineData(nameof(SegmentSwap.Step.Swappable), true)]
    [InlineData(nameof(SegmentSwap.Step.OldRenamed), true)]
    [InlineData(nameof(SegmentSwap.Step.Live), true)]
    public async Task CrashAtSwapStep_Reopen_EitherTheOldSegmentsOrTheCleanedOne(string stepName, bool completes)
    {
        var step = Enum.Parse<SegmentSwap.Step>(stepName);
        List<(long Offset, string? Key, string? Value)> before;
        long activeBase;
        {
            // Left open and never closed, like a process killed at that step: nothing after the throw touches the disk.
            var crashed = Open();
            Fill(crashed, keys: 40, rounds: 25);
            crashed.Flush();
            crashed.UpdateConfig(OneGroup); // One cleaned segment for the whole log: the outcome is all or nothing.
            before = KeyedBatches.ReadAll(crashed).Records;
            activeBase = KeyedBatches.ActiveBase(crashed);
            crashed.SwapStepHook = s =>
            {
                if (s == step)
                {
                    throw new SimulatedCrashException();
                }
            };
            Assert.Null(Cleaner(crashed).CleanFilthiestLog(TestContext.Current.CancellationToken));
        }

        await using var reopened = Open(OneGroup);
        var records = KeyedBatches.ReadAll(reopened).Records;
        Assert.Equal(completes ? Compacted(before, activeBase) : before, records);
        Assert.Equal(1000, reopened.LogEndOffset);
        Assert.DoesNotContain(Directory.EnumerateFiles(Dir), f => f.EndsWith(".cleaned") || f.EndsWith(".swap") || f.EndsWith(".deleted"));

        // And the log cleans on: everything latest is there afterwards.
        CleanUntilIdle(Cleaner(reopened));
        Assert.Equal(Compacted(before, activeBase), KeyedBatches.ReadAll(reopened).Records);
    }

    private sealed class SimulatedCrashException : Exception;
}
