using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Cleaning;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

public sealed class CleanableRangeTests
{
    private const long Now = 10_000_000;
    private static readonly LogConfig Compact = LogConfig.Default with { CleanupPolicy = "compact" };

    // Four inactive segments of 100 bytes at 0, 10, 20, 30 (timestamps 1000, 2000, ...) and an active one at 40.
    private static readonly SegmentSummary[] Segments =
    [
        new(0, 100, 1_000), new(10, 100, 2_000), new(20, 100, 3_000), new(30, 100, 4_000), new(40, 50, 5_000),
    ];

    private static CleanableRange Compute(long? checkpoint, LogConfig? config = null, long highWatermark = 45, Func<int, long>? firstBatch = null) =>
        CleanableRange.Compute(Segments, 0, 45, highWatermark, checkpoint, Now, config ?? Compact, firstBatch ?? (i => Segments[i].MaxTimestamp));

    [Fact]
    public void NeverCleaned_WholeInactiveLogIsDirty()
    {
        var range = Compute(checkpoint: null);

        Assert.Equal((0L, 40L, 0L, 400L), (range.FirstDirtyOffset, range.FirstUncleanableOffset, range.CleanBytes, range.CleanableBytes));
        Assert.Equal(1.0, range.DirtyRatio);
        Assert.True(range.ShouldClean(Compact));
    }

    [Fact]
    public void CleanedUpToTheActiveSegment_NothingToClean()
    {
        var range = Compute(checkpoint: 40);

        Assert.Equal(0, range.CleanableBytes);
        Assert.False(range.ShouldClean(Compact));
    }

    [Fact]
    public void DirtyRatio_ComparedWithMinCleanableDirtyRatio()
    {
        var range = Compute(checkpoint: 30);

        Assert.Equal((300L, 100L), (range.CleanBytes, range.CleanableBytes));
        Assert.Equal(0.25, range.DirtyRatio);
        Assert.False(range.ShouldClean(Compact));
        Assert.True(range.ShouldClean(Compact with { MinCleanableDirtyRatio = 0.2 }));
    }

    [Fact]
    public void MinCompactionLag_StopsAtTheFirstSegmentWithYoungRecords()
    {
        // Segment 20's newest record (3000) is within 7_997_500 ms of now: it and everything after stays dirty.
        var range = Compute(checkpoint: null, Compact with { MinCompactionLagMs = Now - 2_500 });

        Assert.Equal(20, range.FirstUncleanableOffset);
        Assert.Equal(200, range.CleanableBytes);
    }

    [Fact]
    public void HighWatermarkInsideAnInactiveSegment_ThatSegmentIsNotCleaned()
    {
        var range = Compute(checkpoint: null, highWatermark: 25);

        Assert.Equal(20, range.FirstUncleanableOffset);
    }

    [Fact]
    public void MaxCompactionLag_OverdueDirtyRecords_CleanBelowTheRatio()
    {
        var lagged = Compact with { MaxCompactionLagMs = Now - 4_500 };

        var range = Compute(checkpoint: 30, lagged);

        Assert.True(range.CompactionOverdue);
        Assert.True(range.ShouldClean(lagged));
        Assert.False(Compute(checkpoint: 30, Compact with { MaxCompactionLagMs = Now - 3_500 }).CompactionOverdue);
    }

    [Theory]
    [InlineData(-5L)]
    [InlineData(46L)]
    public void CheckpointOutsideTheLog_StartsFromTheLogStart(long checkpoint)
    {
        Assert.Equal(0, Compute(checkpoint).FirstDirtyOffset);
    }
}
