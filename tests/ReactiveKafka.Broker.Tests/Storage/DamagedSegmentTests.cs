using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

/// <summary>
/// Recovery never truncates or deletes below the recovery point, and never lets damage take the segments after it:
/// damaged bytes stay in place, listed in a side file, refused to fetches with CORRUPT_MESSAGE; everything else is served.
/// </summary>
public sealed class DamagedSegmentTests : IDisposable
{
    private static readonly LogConfig Os = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem, IndexIntervalBytes = 100 };
    private static readonly int BatchBytes = TestBatches.Create(2).Length;
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("t-0");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CleanClose_MalformedHeaderMidSegmentAndBrokenTimeIndex_IndexRebuiltNothingCutOnlyTheBatchRefused()
    {
        await FillAsync(segments: 4);
        var first = Segments()[0];
        var victim = Batches(first)[5];
        Overwrite(first, victim.Position + RecordBatchHeader.MagicOffset, [0x7f]);
        File.AppendAllText(Path.ChangeExtension(first, ".timeindex"), "junk!");
        var sizes = Segments().Select(f => new FileInfo(f).Length).ToList();

        await using var log = Open();

        Assert.Equal(sizes, Segments().Select(f => new FileInfo(f).Length));
        Assert.Equal(Expected(log, except: victim.Header), ReadAround(log, victim.Header));
        AssertRefused(log, victim.Header.BaseOffset, victim.Header.LastOffset);
        Assert.True(File.Exists(Path.ChangeExtension(first, ".damaged")));
    }

    [Fact]
    public async Task CleanClose_RecordBytesCorruptedAndIndexMissing_FoundByTheRebuildsCrcCheckAndRefused()
    {
        await FillAsync(segments: 3);
        var first = Segments()[0];
        var victim = Batches(first)[3];
        Overwrite(first, victim.Position + RecordBatchHeader.Size + 2, [0x00, 0x01, 0x02]);
        File.Delete(Path.ChangeExtension(first, ".index"));

        await using var log = Open();

        AssertRefused(log, victim.Header.BaseOffset, victim.Header.LastOffset);
        Assert.Equal(Expected(log, except: victim.Header), ReadAround(log, victim.Header));
    }

    [Fact]
    public async Task Crash_TornEndOfAnOlderSegment_KeptAndTheSegmentsAfterItServed()
    {
        // A segment that is not the last was complete when the next was made: damage at its end is not a crash's torn
        // write, and cutting it (or dropping what follows) would lose acknowledged records.
        var log = Open();
        Fill(log, segments: 3);
        var first = Segments()[0];
        var batches = Batches(first);
        var victim = batches[^1];
        Overwrite(first, victim.Position + 20, new byte[victim.Header.TotalSize - 20]);

        await using var recovered = Open();

        Assert.Equal(3, recovered.SegmentCount);
        Assert.Equal(log.LogEndOffset, recovered.LogEndOffset);
        AssertRefused(recovered, victim.Header.BaseOffset, victim.Header.LastOffset);
        Assert.Equal(Expected(recovered, except: victim.Header), ReadAround(recovered, victim.Header));
        GC.KeepAlive(log);
    }

    [Fact]
    public async Task Reopen_AfterDamageWasRecorded_StillRefusedWithTheIndexFilesTrusted()
    {
        await FillAsync(segments: 3);
        var first = Segments()[0];
        var victim = Batches(first)[4];
        Overwrite(first, victim.Position + RecordBatchHeader.BatchLengthOffset, [0x7f, 0xff, 0xff, 0x00]);
        File.Delete(Path.ChangeExtension(first, ".timeindex"));
        await Open().DisposeAsync(); // finds it, records it, writes the indexes and the checkpoint

        await using var log = Open();

        AssertRefused(log, victim.Header.BaseOffset, victim.Header.LastOffset);
        Assert.Equal(Expected(log, except: victim.Header), ReadAround(log, victim.Header));
        Assert.Equal(3, log.OffsetForTimestamp(1_002)); // batch 1 holds offsets 2 and 3 at 1001 and 1002: the record, not the batch
        Assert.Equal(victim.Header.LastOffset + 1, log.OffsetForTimestamp(victim.Header.MaxTimestamp)); // steps over the damage
    }

    [Fact]
    public async Task Reopen_DamageRecoveryDidNotWalkOver_FetchMeetingItGetsCorruptMessageNotGarbage()
    {
        // Intact indexes and a clean close: recovery walks only after the last index entry, so damage before it is
        // met first by a fetch, which must refuse it rather than serve the bytes.
        await FillAsync(segments: 3);
        var first = Segments()[0];
        var victim = Batches(first)[5];
        Overwrite(first, victim.Position + RecordBatchHeader.BatchLengthOffset, [0x7f, 0x00, 0x00, 0x00]);

        await using var log = Open();
        Assert.Empty(log.DamagedRanges());

        using (var before = log.Read(0, 1 << 20, log.HighWatermark))
        {
            Assert.Equal(ErrorCode.None, before.Error);
            Assert.Equal(victim.Header.BaseOffset, TestBatches.Parse(before.Records.Span)[^1].LastOffset + 1);
        }

        using var damaged = log.Read(victim.Header.BaseOffset, 1 << 20, log.HighWatermark);
        Assert.Equal(ErrorCode.CorruptMessage, damaged.Error);
    }

    [Fact]
    public async Task CleanClose_DamageAtTheEndOfTheLastSegment_KeptAndNewOffsetsFollowIt()
    {
        await FillAsync(segments: 2);
        var last = Segments()[^1];
        var victim = Batches(last)[^1];
        Overwrite(last, victim.Position + RecordBatchHeader.MagicOffset, [0x00]);

        await using var log = Open();
        Assert.Equal(victim.Header.LastOffset + 1, log.LogEndOffset);
        AssertRefused(log, victim.Header.BaseOffset, victim.Header.LastOffset);
        var appended = log.Append(TestBatches.Create(2), 0);
        Assert.Equal(victim.Header.LastOffset + 1, appended.BaseOffset);
        using var read = log.Read(appended.BaseOffset, 1 << 20, log.HighWatermark);
        Assert.Equal(appended.BaseOffset, TestBatches.Parse(read.Records.Span).Single().BaseOffset);
    }

    [Fact]
    public async Task Retention_DeletesADamagedSegment_ItsSideFileGoesWithIt()
    {
        await FillAsync(segments: 3);
        var first = Segments()[0];
        Overwrite(first, Batches(first)[2].Position + RecordBatchHeader.MagicOffset, [0x00]);
        File.Delete(Path.ChangeExtension(first, ".index"));
        await using var log = Open();
        var damagedFile = Path.ChangeExtension(first, ".damaged");
        Assert.True(File.Exists(damagedFile));

        var secondBase = long.Parse(Path.GetFileNameWithoutExtension(Segments()[1]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(ErrorCode.None, log.DeleteRecordsBefore(secondBase).Error); // deletes the segments wholly below it

        await BrokerFixtureWait(() => !File.Exists(first) && !File.Exists(damagedFile));
    }

    private PartitionLog Open() => PartitionLog.Open(Dir, Os with { SegmentBytes = 40 * BatchBytes }, _time, NullLogger.Instance);

    private async Task FillAsync(int segments)
    {
        await using var log = Open();
        Fill(log, segments);
    }

    // Batches of two records, each with its own timestamp (1000 + its index), until the log has `segments` segments.
    private static void Fill(PartitionLog log, int segments)
    {
        for (var i = 0; log.SegmentCount < segments || Batches(Directory.GetFiles(log.Directory, "*.log").Order().Last()).Count < 10; i++)
        {
            log.Append(TestBatches.Create(2, timestamp: 1_000 + i), 0);
        }
    }

    private List<string> Segments() => [.. Directory.GetFiles(Dir, "*.log").Order()];

    private static List<(int Position, RecordBatchHeader Header)> Batches(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        var batches = new List<(int, RecordBatchHeader)>();
        for (var at = 0; at + RecordBatchHeader.Size <= bytes.Length;)
        {
            RecordBatchHeader.TryRead(bytes.AsSpan(at), out var header);
            batches.Add((at, header));
            at += header.TotalSize;
        }

        return batches;
    }

    private static void Overwrite(string path, long position, byte[] bytes)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(file, bytes, position);
    }

    private static void AssertRefused(PartitionLog log, long first, long last)
    {
        for (var offset = first; offset <= last; offset++)
        {
            using var read = log.Read(offset, 1 << 20, log.HighWatermark);
            Assert.Equal(ErrorCode.CorruptMessage, read.Error);
        }
    }

    private static List<long> Expected(PartitionLog log, RecordBatchHeader except) => [.. Enumerable.Range(0, (int)log.LogEndOffset).Select(i => (long)i).Where(o => o < except.BaseOffset || o > except.LastOffset)];

    // Every offset served, reading as a consumer would: from the start, and past the damaged batch once refused.
    private static List<long> ReadAround(PartitionLog log, RecordBatchHeader damaged)
    {
        var offsets = new List<long>();
        var offset = log.LogStartOffset;
        while (offset < log.HighWatermark)
        {
            using var read = log.Read(offset, 1 << 20, log.HighWatermark);
            if (read.Error == ErrorCode.CorruptMessage)
            {
                Assert.InRange(offset, damaged.BaseOffset, damaged.LastOffset);
                offset = damaged.LastOffset + 1;
                continue;
            }

            Assert.Equal(ErrorCode.None, read.Error);
            Assert.True(read.Length > 0, $"Nothing served at offset {offset}.");
            foreach (var header in TestBatches.Parse(read.Records.Span))
            {
                offsets.AddRange(Enumerable.Range(0, header.LastOffsetDelta + 1).Select(d => header.BaseOffset + d));
                offset = header.LastOffset + 1;
            }
        }

        return offsets;
    }

    private static async Task BrokerFixtureWait(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the segment files to go.");
            await Task.Delay(20);
        }
    }
}
