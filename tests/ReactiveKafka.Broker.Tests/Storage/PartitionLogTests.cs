using Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Tests.Storage;

public sealed class PartitionLogTests : IDisposable
{
    private static readonly LogConfig Os = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("t-0");

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig? config = null) => PartitionLog.Open(Dir, config ?? Os, _time, NullLogger.Instance);

    private static List<RecordBatchHeader> ReadAll(PartitionLog log, long from = -1)
    {
        var headers = new List<RecordBatchHeader>();
        var offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.HighWatermark)
        {
            using var read = log.Read(offset, 1 << 20, log.HighWatermark);
            Assert.Equal(ErrorCode.None, read.Error);
            Assert.True(read.Length > 0);
            var batch = TestBatches.Parse(read.Records.Span);
            headers.AddRange(batch);
            offset = batch[^1].LastOffset + 1;
        }

        return headers;
    }

    [Fact]
    public async Task Append_ThenRead_AssignsConsecutiveOffsetsAndRoundTrips()
    {
        await using var log = Open();
        var first = log.Append(TestBatches.Create(5), _time.NowMs);
        var second = log.Append(TestBatches.Create(3), _time.NowMs);
        var both = log.Append(TestBatches.Create(1).Concat(TestBatches.Create(2)).ToArray(), _time.NowMs);

        Assert.Equal((ErrorCode.None, 0L, 4L), (first.Error, first.BaseOffset, first.LastOffset));
        Assert.Equal((5L, 7L), (second.BaseOffset, second.LastOffset));
        Assert.Equal((8L, 10L), (both.BaseOffset, both.LastOffset));
        Assert.Equal(-1, first.LogAppendTimeMs);
        Assert.Equal(11, log.LogEndOffset);
        Assert.Equal(11, log.HighWatermark);

        var headers = ReadAll(log);
        Assert.Equal([0L, 5, 8, 9], headers.Select(h => h.BaseOffset));
        Assert.Equal([5, 3, 1, 2], headers.Select(h => h.RecordCount));
    }

    [Fact]
    public async Task Read_FromMiddleOfBatch_ReturnsTheContainingBatch()
    {
        await using var log = Open();
        log.Append(TestBatches.Create(5), 0);
        log.Append(TestBatches.Create(5), 0);
        using var read = log.Read(7, 1 << 20, log.HighWatermark);
        Assert.Equal(5, TestBatches.Parse(read.Records.Span).Single().BaseOffset);
    }

    [Fact]
    public async Task Read_MaxBytesSmallerThanFirstBatch_StillReturnsTheWholeFirstBatch()
    {
        await using var log = Open();
        var batch = TestBatches.Create(10, valueSize: 500);
        log.Append(batch, 0);
        log.Append(batch, 0);
        using var read = log.Read(0, 100, log.HighWatermark);
        Assert.Equal(batch.Length, read.Length);
        Assert.Single(TestBatches.Parse(read.Records.Span));
    }

    [Fact]
    public async Task Read_MaxBytes_CutsAtWholeBatches()
    {
        await using var log = Open();
        var batch = TestBatches.Create(2, valueSize: 100);
        for (var i = 0; i < 5; i++)
        {
            log.Append(batch, 0);
        }

        using var read = log.Read(0, batch.Length * 3 - 1, log.HighWatermark);
        Assert.Equal(2, TestBatches.Parse(read.Records.Span).Count);
    }

    [Fact]
    public async Task Read_NeverPassesMaxOffsetExclusive()
    {
        await using var log = Open();
        for (var i = 0; i < 4; i++)
        {
            log.Append(TestBatches.Create(2), 0);
        }

        using var read = log.Read(0, 1 << 20, 4);
        Assert.Equal([0L, 2], TestBatches.Parse(read.Records.Span).Select(h => h.BaseOffset));
    }

    [Fact]
    public async Task Read_OutsideTheLog_ReturnsOffsetOutOfRange()
    {
        await using var log = Open();
        log.Append(TestBatches.Create(3), 0);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(4, 1000, 3).Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(-1, 1000, 3).Error);
        using var atEnd = log.Read(3, 1000, 3);
        Assert.Equal((ErrorCode.None, 0), (atEnd.Error, atEnd.Length));
    }

    [Fact]
    public async Task Append_InvalidBatches_ReturnsKafkaErrorCodes()
    {
        await using var log = Open(Os with { MaxMessageBytes = 1000, SegmentBytes = 5000 });
        var corrupt = TestBatches.Create(2);
        corrupt[^1] ^= 0xFF;
        Assert.Equal(ErrorCode.CorruptMessage, log.Append(corrupt, 0).Error);
        Assert.Equal(ErrorCode.CorruptMessage, log.Append(TestBatches.Create(2)[..40], 0).Error);
        Assert.Equal(ErrorCode.MessageTooLarge, log.Append(TestBatches.Create(1, valueSize: 2000), 0).Error);
        var many = Enumerable.Range(0, 10).SelectMany(_ => TestBatches.Create(5, valueSize: 100)).ToArray();
        Assert.Equal(ErrorCode.RecordListTooLarge, log.Append(many, 0).Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public async Task Append_LogAppendTime_StampsTheBatchAndKeepsItsCrcValid()
    {
        await using var log = Open(Os with { MessageTimestampType = TimestampType.LogAppendTime });
        var result = log.Append(TestBatches.Create(3, timestamp: 5), 123_456);
        Assert.Equal(123_456, result.LogAppendTimeMs);
        var header = ReadAll(log).Single();
        Assert.True(header.IsLogAppendTime);
        Assert.Equal(123_456, header.MaxTimestamp);
    }

    [Fact]
    public async Task Roll_BySize_CreatesSegmentsAndReadsCrossThem()
    {
        var batch = TestBatches.Create(4, valueSize: 100);
        await using var log = Open(Os with { SegmentBytes = batch.Length * 3 });
        for (var i = 0; i < 10; i++)
        {
            log.Append(batch, 0);
        }

        Assert.Equal(4, log.SegmentCount);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 4L), ReadAll(log).Select(h => h.BaseOffset));
        Assert.Equal(4, Directory.GetFiles(Dir, "*.log").Length);
        Assert.Contains(Directory.GetFiles(Dir, "*.log"), f => Path.GetFileName(f) == "00000000000000000012.log");
    }

    [Fact]
    public async Task Roll_ByTime_RollsWhenTheActiveSegmentIsOlderThanSegmentMs()
    {
        await using var log = Open(Os with { SegmentMs = 60_000 });
        log.Append(TestBatches.Create(1), _time.NowMs);
        _time.Advance(TimeSpan.FromSeconds(30));
        log.Append(TestBatches.Create(1), _time.NowMs);
        Assert.Equal(1, log.SegmentCount);
        _time.Advance(TimeSpan.FromSeconds(31));
        log.Append(TestBatches.Create(1), _time.NowMs);
        Assert.Equal(2, log.SegmentCount);
    }

    [Fact]
    public async Task Reopen_AfterCleanClose_KeepsEverything()
    {
        var config = Os with { SegmentBytes = 2000, IndexIntervalBytes = 100 };
        await using (var log = Open(config))
        {
            for (var i = 0; i < 30; i++)
            {
                log.Append(TestBatches.Create(3, timestamp: 1000 + i), 0);
            }

            Assert.Equal((ErrorCode.None, 6L), log.DeleteRecordsBefore(6));
        }

        await using var reopened = Open(config);
        Assert.Equal((6L, 90L, 90L), (reopened.LogStartOffset, reopened.LogEndOffset, reopened.HighWatermark));
        Assert.Equal(Enumerable.Range(2, 28).Select(i => i * 3L), ReadAll(reopened).Select(h => h.BaseOffset));
        Assert.Equal(90, reopened.Append(TestBatches.Create(1), 0).BaseOffset);
    }

    [Fact]
    public async Task Open_WithoutIndexFiles_RebuildsThemFromTheLog()
    {
        var config = Os with { IndexIntervalBytes = 50 };
        await using (var log = Open(config))
        {
            for (var i = 0; i < 50; i++)
            {
                log.Append(TestBatches.Create(2, timestamp: 10_000 + (i * 10)), 0);
            }
        }

        var index = Path.Combine(Dir, "00000000000000000000.index");
        Assert.True(new FileInfo(index).Length > 0);
        File.Delete(index);
        File.WriteAllBytes(Path.Combine(Dir, "00000000000000000000.timeindex"), [1, 2, 3]);

        await using var reopened = Open(config);
        Assert.True(File.Exists(index) || reopened.SegmentCount == 1);
        for (var offset = 0L; offset < 100; offset += 7)
        {
            using var read = reopened.Read(offset, 1, reopened.HighWatermark);
            Assert.Equal(offset - (offset % 2), TestBatches.Parse(read.Records.Span)[0].BaseOffset);
        }

        Assert.Equal(40L, reopened.OffsetForTimestamp(10_200));
    }

    [Fact]
    public async Task Recovery_TornTail_TruncatesAtTheLastWholeBatch()
    {
        await using (var log = Open())
        {
            for (var i = 0; i < 3; i++)
            {
                log.Append(TestBatches.Create(2, valueSize: 50), 0);
            }
        }

        var path = Path.Combine(Dir, "00000000000000000000.log");
        var length = new FileInfo(path).Length;
        using (var file = File.OpenWrite(path))
        {
            file.SetLength(length - 20);
        }

        await using var recovered = Open();
        Assert.Equal(4, recovered.LogEndOffset);
        Assert.Equal([0L, 2], ReadAll(recovered).Select(h => h.BaseOffset));
        Assert.Equal(4, recovered.Append(TestBatches.Create(1), 0).BaseOffset);
    }

    [Fact]
    public async Task Recovery_CorruptLastBatchAfterTheRecoveryPoint_IsCutOff()
    {
        var log = Open();
        log.Append(TestBatches.Create(2), 0);
        log.Append(TestBatches.Create(2), 0);
        log.Flush(); // Recovery point after offset 3.
        log.Append(TestBatches.Create(2), 0);
        log.Append(TestBatches.Create(2), 0);

        // Simulate a crash: never close the log; flip one record byte of the last batch, as a write cut short leaves it.
        var path = Path.Combine(Dir, "00000000000000000000.log");
        var bytes = File.ReadAllBytes(path);
        var fourth = 3 * TestBatches.Create(2).Length;
        bytes[fourth + RecordBatchHeader.Size + 3] ^= 0x55;
        File.WriteAllBytes(path, bytes);

        await using var recovered = Open();
        Assert.Equal(6, recovered.LogEndOffset);
        Assert.Equal(fourth, new FileInfo(path).Length);
        GC.KeepAlive(log);
    }

    [Fact]
    public async Task Recovery_CorruptBatchAfterTheRecoveryPointWithValidBatchesAfterIt_KeptAndOnlyItIsRefused()
    {
        // Not a torn write (a crash leaves nothing valid after the tear): the batches after it are kept and served.
        var log = Open();
        log.Append(TestBatches.Create(2), 0);
        log.Append(TestBatches.Create(2), 0);
        log.Flush(); // Recovery point after offset 3.
        log.Append(TestBatches.Create(2), 0);
        log.Append(TestBatches.Create(2), 0);

        var path = Path.Combine(Dir, "00000000000000000000.log");
        var bytes = File.ReadAllBytes(path);
        var third = 2 * TestBatches.Create(2).Length;
        bytes[third + RecordBatchHeader.Size + 3] ^= 0x55;
        File.WriteAllBytes(path, bytes);

        await using var recovered = Open();
        Assert.Equal(8, recovered.LogEndOffset);
        Assert.Equal(bytes.Length, new FileInfo(path).Length);
        using (var before = recovered.Read(0, 1 << 20, recovered.HighWatermark))
        {
            Assert.Equal([0L, 2], TestBatches.Parse(before.Records.Span).Select(h => h.BaseOffset));
        }

        using (var damaged = recovered.Read(4, 1 << 20, recovered.HighWatermark))
        {
            Assert.Equal(ErrorCode.CorruptMessage, damaged.Error);
        }

        Assert.Equal([6L], ReadAll(recovered, from: 6).Select(h => h.BaseOffset));
        GC.KeepAlive(log);
    }

    [Fact]
    public async Task Retention_BySize_DeletesOldestSegmentsAndMovesTheStart()
    {
        var batch = TestBatches.Create(2, valueSize: 100);
        await using var log = Open(Os with { SegmentBytes = batch.Length * 2, RetentionBytes = batch.Length * 4 });
        for (var i = 0; i < 10; i++)
        {
            log.Append(batch, _time.NowMs);
        }

        Assert.Equal(5, log.SegmentCount);
        // 10 batches over 4 allowed: whole segments go while the excess still covers one.
        Assert.Equal(3, log.ApplyRetention(_time.NowMs));
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(12, log.LogStartOffset);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(0, 1000, log.HighWatermark).Error);

        // A rolled segment's background fsync holds a reference; its files go when that is released.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.GetFiles(Dir, "*.log").Length != 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, Directory.GetFiles(Dir, "*.log").Length);
        Assert.Equal(Enumerable.Range(6, 4).Select(i => i * 2L), ReadAll(log).Select(h => h.BaseOffset));
    }

    [Fact]
    public async Task Retention_ByTime_DeletesExpiredSegmentsButNeverTheActiveOne()
    {
        var batch = TestBatches.Create(1, timestamp: 1_000);
        await using var log = Open(Os with { SegmentBytes = batch.Length, RetentionMs = 10_000 });
        for (var i = 0; i < 3; i++)
        {
            log.Append(batch, 0);
        }

        Assert.Equal(0, log.ApplyRetention(5_000));
        Assert.Equal(2, log.ApplyRetention(100_000));
        Assert.Equal((1, 2L, 3L), (log.SegmentCount, log.LogStartOffset, log.LogEndOffset));
    }

    [Fact]
    public async Task DeleteRecordsBefore_MovesTheStartPersistsItAndRefusesBeyondTheHighWatermark()
    {
        var batch = TestBatches.Create(2);
        await using (var log = Open(Os with { SegmentBytes = batch.Length * 2 }))
        {
            for (var i = 0; i < 6; i++)
            {
                log.Append(batch, 0);
            }

            Assert.Equal(ErrorCode.OffsetOutOfRange, log.DeleteRecordsBefore(13).Error);
            Assert.Equal((ErrorCode.None, 5L), log.DeleteRecordsBefore(5));
            Assert.Equal(2, log.SegmentCount);
            Assert.Equal((ErrorCode.None, 5L), log.DeleteRecordsBefore(3));
            Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(4, 100, 12).Error);
            using var read = log.Read(5, 100, 12);
            Assert.Equal(4, TestBatches.Parse(read.Records.Span)[0].BaseOffset);
        }

        await using var reopened = Open(Os with { SegmentBytes = batch.Length * 2 });
        Assert.Equal(5, reopened.LogStartOffset);
    }

    [Fact]
    public async Task OffsetForTimestamp_FindsTheFirstBatchAtOrAfterTheTimestamp()
    {
        var config = Os with { SegmentBytes = 400, IndexIntervalBytes = 0 };
        await using var log = Open(config);
        for (var i = 0; i < 20; i++)
        {
            log.Append(TestBatches.Create(2, timestamp: 1_000 * (i + 1)), 0);
        }

        Assert.True(log.SegmentCount > 2);
        Assert.Equal(0L, log.OffsetForTimestamp(0));
        Assert.Equal(10L, log.OffsetForTimestamp(5_500));
        Assert.Equal(9L, log.OffsetForTimestamp(5_001)); // the record, not its batch (8)
        Assert.Equal(38L, log.OffsetForTimestamp(20_000));
        Assert.Null(log.OffsetForTimestamp(20_002));
        Assert.Equal(0L, log.OffsetForTimestamp(PartitionLog.EarliestTimestamp));
        Assert.Equal(40L, log.OffsetForTimestamp(PartitionLog.LatestTimestamp));
    }
}
