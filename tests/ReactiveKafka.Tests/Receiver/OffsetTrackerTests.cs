using ReactiveKafka.Receiver.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>The acknowledged-offset tracker on its own: pure logic, no broker.</summary>
public sealed class OffsetTrackerTests
{
    [Fact]
    public void Acknowledge_InOrder_AdvancesCommittableEachTime()
    {
        var tracker = new OffsetTracker();
        for (var i = 0; i < 5; i++)
        {
            tracker.Add(i);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.True(tracker.Acknowledge(i));
            Assert.Equal(i + 1, tracker.Committable);
        }

        Assert.Equal(0, tracker.Count);
        Assert.Equal(0, tracker.Deferred);
    }

    [Fact]
    public void Acknowledge_OutOfOrder_CommittableStopsAtFirstGap()
    {
        var tracker = new OffsetTracker();
        foreach (var offset in new long[] { 10, 11, 12, 13 })
        {
            tracker.Add(offset);
        }

        Assert.True(tracker.Acknowledge(12));
        Assert.True(tracker.Acknowledge(13));
        Assert.Equal(-1, tracker.Committable);
        Assert.Equal(2, tracker.Deferred);
        Assert.Equal(2, tracker.Unacknowledged);

        Assert.True(tracker.Acknowledge(10));
        Assert.Equal(11, tracker.Committable);
        Assert.True(tracker.Acknowledge(11));
        Assert.Equal(14, tracker.Committable);
        Assert.Equal(0, tracker.Deferred);
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void Acknowledge_GapsInOffsets_CommitsPastTheLastReleasedRecord()
    {
        var tracker = new OffsetTracker();
        tracker.Add(3);
        tracker.Add(7); // compaction or a transaction marker between

        tracker.Acknowledge(7);
        Assert.Equal(-1, tracker.Committable);
        tracker.Acknowledge(3);
        Assert.Equal(8, tracker.Committable);
    }

    [Fact]
    public void Acknowledge_TwiceOrUnknown_ReturnsFalseAndChangesNothing()
    {
        var tracker = new OffsetTracker();
        tracker.Add(0);
        tracker.Add(1);

        Assert.True(tracker.Acknowledge(1));
        Assert.False(tracker.Acknowledge(1));
        Assert.False(tracker.Acknowledge(5));
        Assert.Equal(1, tracker.Deferred);
        Assert.True(tracker.Acknowledge(0));
        Assert.False(tracker.Acknowledge(0));
        Assert.Equal(2, tracker.Committable);
    }

    [Fact]
    public void Add_NotIncreasing_Throws()
    {
        var tracker = new OffsetTracker();
        tracker.Add(5);

        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Add(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Add(4));
    }

    [Fact]
    public void Acknowledge_RandomOrderAcrossRingWraps_MatchesReferenceModel()
    {
        var random = new Random(1234);
        var tracker = new OffsetTracker(initialCapacity: 4);
        var acknowledged = new SortedSet<long>();
        var pending = new List<long>();
        long next = 0, committed = -1;
        for (var step = 0; step < 20_000; step++)
        {
            if (pending.Count == 0 || random.Next(3) > 0)
            {
                next += 1 + random.Next(2);
                tracker.Add(next);
                pending.Add(next);
            }
            else
            {
                var index = random.Next(pending.Count);
                var offset = pending[index];
                pending.RemoveAt(index);
                Assert.True(tracker.Acknowledge(offset));
                acknowledged.Add(offset);
            }

            // Reference: the committable offset is one past the longest acknowledged prefix of the added offsets.
            var lowestPending = pending.Count == 0 ? long.MaxValue : pending.Min();
            var released = acknowledged.GetViewBetween(long.MinValue, lowestPending - 1);
            if (released.Count > 0)
            {
                committed = released.Max + 1;
                acknowledged.ExceptWith(released.ToList());
            }

            Assert.Equal(committed, tracker.Committable);
            Assert.Equal(acknowledged.Count, tracker.Deferred);
            Assert.Equal(pending.Count, tracker.Unacknowledged);
        }
    }

    [Fact]
    public void Clear_ForgetsEverythingButKeepsTheCommittableOffset()
    {
        var tracker = new OffsetTracker();
        tracker.Add(0);
        tracker.Add(1);
        tracker.Acknowledge(0);
        tracker.Acknowledge(1);
        tracker.Add(2);
        tracker.Clear();

        Assert.Equal(0, tracker.Count);
        Assert.Equal(2, tracker.Committable);
        Assert.False(tracker.Acknowledge(2));
    }
}
