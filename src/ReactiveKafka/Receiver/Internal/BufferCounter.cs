namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Records handed by the consumer loop to a sink and not yet emitted (or skipped) by it, with the peak ever reached.
/// Thread-safe: the loop adds, the emitting side removes.
/// </summary>
internal sealed class BufferCounter(long lowWater, Action reachedLowWater)
{
    private long _count;
    private long _peak;

    public long Count => Volatile.Read(ref _count);

    public long Peak => Volatile.Read(ref _peak);

    public void Add(int records)
    {
        var now = Interlocked.Add(ref _count, records);
        long peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }
    }

    /// <summary>Removes records; crossing down to the low-water mark wakes the loop.</summary>
    public void Remove(int records = 1)
    {
        var now = Interlocked.Add(ref _count, -records);
        if (now <= lowWater && now + records > lowWater)
        {
            reachedLowWater();
        }
    }
}
