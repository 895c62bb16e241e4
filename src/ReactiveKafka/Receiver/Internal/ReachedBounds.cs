namespace ReactiveKafka.Receiver.Internal;

/// <summary>The backpressure bounds a consumer loop has reached (and not yet drained below half).</summary>
[Flags]
internal enum ReachedBounds
{
    None = 0,

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.BufferSize"/>.</summary>
    Buffer = 1,

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>.</summary>
    Unacknowledged = 2,

    /// <summary><see cref="ReceiverOptions{TKey, TValue}.MaxDeferredCommits"/>.</summary>
    DeferredCommits = 4,
}

/// <summary>
/// Each bound's own hysteresis: a bound is reached when its count gets to it and released when its count is back at
/// half of it or below, whatever the other counts do. (Requiring every count at half before any release made the first
/// bound reached decide for all: with <c>BufferSize</c> 256 and <c>MaxUnacknowledged</c> 1000, a subscriber that never
/// acknowledged stopped at 512 records, the unacknowledged count when the buffer first filled, not at 1000.)
/// Stateless, thread-safe.
/// </summary>
internal static class BackpressureBounds
{
    /// <summary>The bounds reached after the counts moved, given those reached before.</summary>
    public static ReachedBounds Update(
        ReachedBounds reached, long buffered, int unacknowledged, int deferred, int bufferSize, int maxUnacknowledged, int maxDeferredCommits, bool tracking)
    {
        reached = Step(reached, ReachedBounds.Buffer, buffered, bufferSize);
        if (!tracking)
        {
            return reached & ReachedBounds.Buffer;
        }

        reached = Step(reached, ReachedBounds.Unacknowledged, unacknowledged, maxUnacknowledged);
        return Step(reached, ReachedBounds.DeferredCommits, deferred, maxDeferredCommits);
    }

    private static ReachedBounds Step(ReachedBounds reached, ReachedBounds bound, long count, int limit) =>
        count >= limit ? reached | bound
        : count <= limit / 2 ? reached & ~bound
        : reached;
}
