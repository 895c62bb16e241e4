using ReactiveKafka.Receiver.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Each backpressure bound's hysteresis on its own: pure logic, no broker.</summary>
public sealed class BackpressureBoundsTests
{
    private static ReachedBounds Update(ReachedBounds reached, long buffered, int unacknowledged, int deferred = 0, bool tracking = true) =>
        BackpressureBounds.Update(reached, buffered, unacknowledged, deferred, bufferSize: 256, maxUnacknowledged: 1000, maxDeferredCommits: 100, tracking);

    [Fact]
    public void Update_BufferDrainedWhileUnacknowledgedIsAboveHalf_ReleasesTheBuffer()
    {
        var reached = Update(ReachedBounds.None, buffered: 256, unacknowledged: 512);
        Assert.Equal(ReachedBounds.Buffer, reached);

        // The regression of issue 19: the buffer's release waited for the unacknowledged count to be at half too.
        Assert.Equal(ReachedBounds.None, Update(reached, buffered: 128, unacknowledged: 600));
    }

    [Fact]
    public void Update_BetweenHalfAndTheBound_KeepsWhatWasReached()
    {
        Assert.Equal(ReachedBounds.Unacknowledged, Update(ReachedBounds.Unacknowledged, buffered: 0, unacknowledged: 501));
        Assert.Equal(ReachedBounds.None, Update(ReachedBounds.None, buffered: 200, unacknowledged: 999));
        Assert.Equal(ReachedBounds.None, Update(ReachedBounds.Unacknowledged, buffered: 0, unacknowledged: 500));
    }

    [Fact]
    public void Update_SeveralBounds_EachReleasedByItsOwnCount()
    {
        var reached = Update(ReachedBounds.None, buffered: 256, unacknowledged: 1000, deferred: 100);
        Assert.Equal(ReachedBounds.Buffer | ReachedBounds.Unacknowledged | ReachedBounds.DeferredCommits, reached);

        reached = Update(reached, buffered: 0, unacknowledged: 900, deferred: 50);
        Assert.Equal(ReachedBounds.Unacknowledged, reached);
    }

    [Fact]
    public void Update_NotTracking_OnlyTheBufferCounts()
    {
        Assert.Equal(ReachedBounds.None, Update(ReachedBounds.None, buffered: 10, unacknowledged: 5000, deferred: 5000, tracking: false));
        Assert.Equal(ReachedBounds.Buffer, Update(ReachedBounds.Unacknowledged, buffered: 256, unacknowledged: 5000, tracking: false));
    }
}
