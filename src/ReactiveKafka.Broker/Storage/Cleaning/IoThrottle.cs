using System.Diagnostics;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// Keeps the cleaner's I/O at or below <c>log.cleaner.io.max.bytes.per.second</c> (Kafka's <c>Throttler</c>): bytes
/// read and written are counted, and every check interval the observed rate is compared with the limit; above it, the
/// calling thread waits long enough to bring the rate back down.
/// </summary>
/// <remarks>
/// Real time (a <see cref="Stopwatch"/>), not the broker's <see cref="TimeProvider"/>: the limit is about the disk, and a
/// test clock must not stall the cleaner. Waits end early when the token is cancelled. Not thread-safe: one cleaner
/// thread owns it.
/// </remarks>
internal sealed class IoThrottle(double maxBytesPerSecond)
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _period = Stopwatch.StartNew();
    private long _bytes;

    /// <summary>The limit in bytes per second; infinity for none.</summary>
    public double MaxBytesPerSecond { get; } = maxBytesPerSecond > 0 ? maxBytesPerSecond : throw new ArgumentOutOfRangeException(nameof(maxBytesPerSecond));

    /// <summary>How long the throttle has made callers wait in total.</summary>
    public TimeSpan Throttled { get; private set; }

    /// <summary>Counts <paramref name="bytes"/> of I/O and waits if the rate is above the limit.</summary>
    public void Account(long bytes, CancellationToken cancellationToken)
    {
        if (double.IsPositiveInfinity(MaxBytesPerSecond) || bytes <= 0)
        {
            return;
        }

        _bytes += bytes;
        var elapsed = _period.Elapsed;
        if (elapsed < CheckInterval)
        {
            return;
        }

        var due = TimeSpan.FromSeconds(_bytes / MaxBytesPerSecond);
        if (due > elapsed)
        {
            var wait = due - elapsed;
            cancellationToken.WaitHandle.WaitOne(wait);
            Throttled += wait;
        }

        _bytes = 0;
        _period.Restart();
    }
}
