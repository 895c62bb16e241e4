namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// Producer ids for transactional ids until the broker's persisted allocator (issue 12 item 2) is wired in: above every
/// id the transaction log holds and above the clock (milliseconds × 1000), so ids never repeat across restarts unless
/// the clock runs backwards.
/// </summary>
internal sealed class InterimProducerIds(long next)
{
    private long _next = next;

    /// <summary>An allocator whose first id is above <paramref name="highestUsed"/> and the current time.</summary>
    public static InterimProducerIds After(long highestUsed, TimeProvider time) =>
        new(Math.Max(highestUsed + 1, time.GetUtcNow().ToUnixTimeMilliseconds() * 1000));

    /// <summary>The next id.</summary>
    public long Allocate() => Interlocked.Increment(ref _next) - 1;
}
