using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

/// <summary>
/// Fetch reads as log regions: batch boundaries found by walking headers in small chunks, copied into a pipe in
/// chunks, and the segment kept until the region is released.
/// </summary>
public sealed class LogRegionTests : IDisposable
{
    private static readonly LogConfig Os = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig config) => PartitionLog.Open(_temp.Combine("t-0"), config, _time, NullLogger.Instance);

    [Fact]
    public async Task Read_ManySmallBatchesAcrossHeaderChunks_CutsAtTheLastWholeBatchWithinMaxBytes()
    {
        // 300 batches of ~120 B: the header walk crosses several 8 KiB chunks, with batches straddling their edges.
        var batch = TestBatches.Create(1, valueSize: 50);
        await using var log = Open(Os);
        for (var i = 0; i < 300; i++)
        {
            log.Append(batch, _time.NowMs);
        }

        var maxBytes = batch.Length * 250 + batch.Length / 2;
        using var read = log.Read(0, maxBytes, log.HighWatermark);

        Assert.Equal(batch.Length * 250, read.Length);
        var headers = TestBatches.Parse(read.Records.Span);
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (long)i), headers.Select(h => h.BaseOffset));
    }

    [Fact]
    public async Task Read_FirstBatchLargerThanMaxBytesAndTheChunk_IsServedWhole()
    {
        var large = TestBatches.Create(4, valueSize: 20_000); // ~80 KB: many header chunks long.
        await using var log = Open(Os with { MaxMessageBytes = 1 << 20 });
        log.Append(large, _time.NowMs);
        log.Append(TestBatches.Create(1), _time.NowMs);

        using var read = log.Read(0, 100, log.HighWatermark);

        Assert.Equal(large.Length, read.Length);
        Assert.Equal(large, read.Records.ToArray());
    }

    [Fact]
    public async Task Read_StopsAtTheHighWatermarkLimit()
    {
        await using var log = Open(Os);
        for (var i = 0; i < 10; i++)
        {
            log.Append(TestBatches.Create(2), _time.NowMs);
        }

        using var read = log.Read(0, 1 << 20, maxOffsetExclusive: 7);

        // Batches start at 0, 2, 4, 6: the one at 6 contains offset 6 < 7, the one at 8 does not start below 7.
        Assert.Equal([0L, 2, 4, 6], TestBatches.Parse(read.Records.Span).Select(h => h.BaseOffset));
    }

    [Fact]
    public async Task CopyToAsync_WritesTheRegionIntoAPipeInChunks_ByteForByte()
    {
        var batch = TestBatches.Create(3, valueSize: 100_000); // ~300 KB: more than two copy chunks.
        await using var log = Open(Os with { MaxMessageBytes = 1 << 20 });
        log.Append(batch, _time.NowMs);
        using var read = log.Read(0, 1 << 20, log.HighWatermark);
        var region = Assert.IsAssignableFrom<ExternalBytes>(GetManager(read.Records));
        Assert.True(region.Length > LogRegion.ChunkSize * 2);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        Assert.True(await region.CopyToAsync(pipe.Writer, TestContext.Current.CancellationToken));
        await pipe.Writer.CompleteAsync();
        var copied = new MemoryStream();
        await pipe.Reader.CopyToAsync(copied, TestContext.Current.CancellationToken);

        Assert.Equal(batch, copied.ToArray());
    }

    [Fact]
    public async Task HeldRegion_KeepsARetainedSegmentReadableUntilReleased()
    {
        var batch = TestBatches.Create(2, valueSize: 100);
        await using var log = Open(Os with { SegmentBytes = batch.Length, RetentionBytes = batch.Length });
        for (var i = 0; i < 3; i++)
        {
            log.Append(batch, _time.NowMs);
        }

        var held = log.Read(0, 1 << 20, log.HighWatermark);
        Assert.True(log.ApplyRetention(_time.NowMs) > 0);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(0, 1 << 20, log.HighWatermark).Error);

        // Deleted from the log, yet the response that read it can still send it.
        Assert.Equal(batch, held.Records.ToArray());
        held.Dispose();
        held.Dispose(); // Twice is harmless: the segment's reference goes once.
    }

    [Fact]
    public async Task Read_WithoutMinOneBatch_ServesNothingWhenTheFirstBatchExceedsMaxBytes()
    {
        var batch = TestBatches.Create(2, valueSize: 500);
        await using var log = Open(Os);
        log.Append(batch, _time.NowMs);

        using var limited = log.Read(0, batch.Length - 1, log.HighWatermark, minOneBatch: false);
        using var first = log.Read(0, batch.Length - 1, log.HighWatermark, minOneBatch: true);

        Assert.Equal((ErrorCode.None, 0), (limited.Error, limited.Length));
        Assert.Equal(batch.Length, first.Length);
    }

    [Fact]
    public async Task TopicDeletedAndRecreated_WhileAResponseHoldsTheOldRegion_KeepsTheNewTopicsFiles()
    {
        await using var store = TopicStore.Open(_temp.Combine("data"), Os, TimeProvider.System, NullLoggerFactory.Instance, retentionCheckInterval: Timeout.InfiniteTimeSpan);
        Assert.Equal(ErrorCode.None, store.CreateTopic("t", 1, null).Error);
        var old = TestBatches.Create(3, fill: 0x6f);
        store.GetPartition("t", 0)!.Append(old, 0);
        var held = store.GetPartition("t", 0)!.Read(0, 1 << 20, 3);

        Assert.Equal(ErrorCode.None, (await store.DeleteTopicAsync("t")).Error);
        Assert.Equal(ErrorCode.None, store.CreateTopic("t", 1, null).Error);
        var fresh = TestBatches.Create(2, fill: 0x6e);
        store.GetPartition("t", 0)!.Append(fresh, 0);

        // The old response still sends the old bytes, and releasing it afterwards must not touch the new files.
        Assert.Equal(old, held.Records.ToArray());
        held.Dispose();
        var log = store.GetPartition("t", 0)!;
        using var read = log.Read(0, 1 << 20, log.HighWatermark);
        Assert.Equal(fresh, read.Records.ToArray());
        Assert.Single(Directory.GetFiles(Path.Combine(_temp.Combine("data"), "t-0"), "*.log"));
    }

    private static System.Buffers.MemoryManager<byte>? GetManager(ReadOnlyMemory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(memory, out System.Buffers.MemoryManager<byte>? manager) ? manager : null;
}
