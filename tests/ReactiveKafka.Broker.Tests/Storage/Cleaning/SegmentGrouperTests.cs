using ReactiveKafka.Broker.Storage.Cleaning;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

public sealed class SegmentGrouperTests
{
    private static SegmentExtent Segment(long baseOffset, long size, long index = 0, long timeIndex = 0) => new(baseOffset, size, index, timeIndex);

    [Fact]
    public void SmallSegments_AreGroupedWithinSegmentBytes()
    {
        SegmentExtent[] segments = [Segment(0, 400), Segment(10, 400), Segment(20, 300), Segment(30, 500), Segment(40, 100)];

        var groups = SegmentGrouper.Group(segments, maxBytes: 1100, maxIndexBytes: 1000, endOffset: 50);

        Assert.Equal([(0, 3), (3, 2)], groups);
    }

    [Fact]
    public void SegmentLargerThanTheLimit_IsAGroupOfItsOwn()
    {
        SegmentExtent[] segments = [Segment(0, 5000), Segment(10, 10), Segment(20, 10)];

        Assert.Equal([(0, 1), (1, 2)], SegmentGrouper.Group(segments, 1000, 1000, 30));
    }

    [Fact]
    public void IndexLimits_SplitGroups()
    {
        SegmentExtent[] segments = [Segment(0, 10, index: 600), Segment(10, 10, index: 600), Segment(20, 10, timeIndex: 900), Segment(30, 10, timeIndex: 900)];

        Assert.Equal([(0, 1), (1, 2), (3, 1)], SegmentGrouper.Group(segments, 1000, 1000, 40));
    }

    [Fact]
    public void OffsetsBeyondTheRelativeRange_SplitGroups()
    {
        SegmentExtent[] segments = [Segment(0, 10), Segment(10, 10), Segment(20, 10)];

        // The last segment's offsets may run to the range's end, more than 2^31 past the group's base.
        Assert.Equal([(0, 2), (2, 1)], SegmentGrouper.Group(segments, 1000, 1000, endOffset: int.MaxValue + 10L));
    }

    [Fact]
    public void EveryInputSegment_IsInExactlyOneGroup()
    {
        var random = new Random(7);
        var segments = Enumerable.Range(0, 200).Select(i => Segment(i * 100L, random.Next(1, 600), random.Next(0, 80), random.Next(0, 120))).ToArray();

        var groups = SegmentGrouper.Group(segments, 1000, 400, 20_000);

        Assert.Equal(Enumerable.Range(0, 200), groups.SelectMany(g => Enumerable.Range(g.Start, g.Count)));
        Assert.All(groups.Where(g => g.Count > 1), g => Assert.True(segments.Skip(g.Start).Take(g.Count).Sum(s => s.Size) <= 1000));
    }
}
