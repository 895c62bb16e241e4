using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// The background log cleaner (Kafka's <c>LogCleaner</c> with one thread and its <c>LogCleanerManager</c>): over and
/// over, takes the compacted log with the highest dirty ratio above its <c>min.cleanable.dirty.ratio</c> (or any whose
/// dirty records are older than <c>max.compaction.lag.ms</c>), cleans it, and records its new first dirty offset
/// (<see cref="CleanerCheckpoint"/>); when none needs cleaning it sleeps for <see cref="CleanerOptions.Backoff"/>.
/// </summary>
/// <remarks>
/// <para>Thread-safety: one dedicated thread does all the work; <see cref="Wake"/>, the counters and
/// <see cref="Dispose"/> may be called from any thread. A log whose clean fails unexpectedly (a corrupt batch) is
/// marked uncleanable and skipped until the broker restarts, as in Kafka; the error is logged.</para>
/// <para>The backoff runs on the broker's <see cref="TimeProvider"/> (a test clock's advance wakes the cleaner), so
/// does the "now" that compaction lags and delete horizons are measured against.</para>
/// </remarks>
internal sealed class LogCleaner : IDisposable
{
    private readonly Func<IEnumerable<PartitionLog>> _logs;
    private readonly Cleaner _cleaner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<PartitionLog, string> _uncleanable = [];
    private readonly ConditionalWeakTable<PartitionLog, StrongBox<long>> _firstDirty = [];
    private readonly AutoResetEvent _wake = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private ITimer? _timer;
    private long _cleanings;
    private CleanerStats? _lastStats;
    private int _disposed;

    /// <summary>Creates a cleaner over the logs <paramref name="logs"/> returns (called each round); <see cref="Start"/> runs it.</summary>
    public LogCleaner(CleanerOptions options, Func<IEnumerable<PartitionLog>> logs, TimeProvider time, ILogger logger)
    {
        _logs = logs;
        _time = time;
        _logger = logger;
        _cleaner = new Cleaner(options, new IoThrottle(options.MaxIoBytesPerSecond), logger);
        _thread = new Thread(Run) { IsBackground = true, Name = "ReactiveKafka log cleaner" };
    }

    /// <summary>The options.</summary>
    public CleanerOptions Options => _cleaner.Options;

    /// <summary>How many cleans completed (swapped everything they wrote).</summary>
    public long CleaningsCompleted => Interlocked.Read(ref _cleanings);

    /// <summary>The statistics of the last completed clean, or null.</summary>
    public CleanerStats? LastStats => Volatile.Read(ref _lastStats);

    /// <summary>Starts the cleaner thread and its backoff timer.</summary>
    public void Start()
    {
        _timer = _time.CreateTimer(static s => ((LogCleaner)s!)._wake.Set(), this, Options.Backoff, Options.Backoff);
        _thread.Start();
    }

    /// <summary>Makes the cleaner look for work now instead of at the end of its backoff.</summary>
    public void Wake() => _wake.Set();

    /// <summary>Whether the cleaner gave up on <paramref name="log"/> after an error.</summary>
    public bool IsUncleanable(PartitionLog log) => _uncleanable.TryGetValue(log, out _);

    /// <summary>
    /// One round, on the calling thread: chooses the filthiest compacted log and cleans it. Returns the clean's
    /// statistics, or null when no log needed cleaning. Used by the cleaner thread, and directly by tests and the
    /// benchmark (never concurrently with the thread).
    /// </summary>
    public CleanerStats? CleanFilthiestLog(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        PartitionLog? filthiest = null;
        CleanableRange? best = null;
        foreach (var log in _logs())
        {
            if (!log.Config.Compact || log.IsClosed || IsUncleanable(log))
            {
                continue;
            }

            var range = RangeOf(log, now);
            if (range is not null && range.ShouldClean(log.Config) && (best is null || range.DirtyRatio > best.DirtyRatio))
            {
                (filthiest, best) = (log, range);
            }
        }

        return filthiest is null ? null : Clean(filthiest, best!, now, cancellationToken);
    }

    /// <summary>Stops the thread (an unfinished clean is rolled back) and the timer. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _timer?.Dispose();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _wake.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        var token = _stop.Token;
        WaitHandle[] waits = [_wake, token.WaitHandle];
        while (!token.IsCancellationRequested)
        {
            CleanerStats? stats;
            try
            {
                stats = CleanFilthiestLog(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The log cleaner's round failed");
                stats = null;
            }

            // Straight on while there is work; a round that did nothing or had to give up waits for the backoff.
            if (stats is null || stats.Aborted || stats.EndOffset < 0)
            {
                WaitHandle.WaitAny(waits);
            }
        }
    }

    private CleanableRange? RangeOf(PartitionLog log, long now)
    {
        try
        {
            using var view = log.AcquireForCleaning();
            var segments = view.Segments;
            if (segments.FirstOrDefault(s => s.DamagedRanges.Count > 0) is { } damaged)
            {
                // A clean rewrites segments from the log start: damaged bytes recovery kept in place would be dropped
                // with it, so a damaged log is not compacted until the damage is dealt with (verify mode reports it).
                _uncleanable.AddOrUpdate(log, "damaged data kept in place");
                _logger.LogWarning("The log cleaner skips {Log} until the broker restarts: {Segment} holds damaged data kept in place", log.Name, damaged.LogPath);
                return null;
            }

            var summaries = segments.Select(s => new SegmentSummary(s.BaseOffset, s.Size, s.MaxTimestamp)).ToList();
            return CleanableRange.Compute(summaries, view.LogStartOffset, view.LogEndOffset, view.StableOffset, FirstDirty(log), now, log.Config,
                i => i < segments.Count - 1 && segments[i].TryReadHeader(0, out var header) ? header.MaxTimestamp : -1);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException && log.IsClosed)
        {
            return null; // Deleted meanwhile.
        }
    }

    private long? FirstDirty(PartitionLog log)
    {
        if (_firstDirty.TryGetValue(log, out var known))
        {
            return known.Value;
        }

        var read = CleanerCheckpoint.Read(log.Directory);
        if (read is { } value)
        {
            _firstDirty.AddOrUpdate(log, new StrongBox<long>(value));
        }

        return read;
    }

    private CleanerStats? Clean(PartitionLog log, CleanableRange range, long now, CancellationToken cancellationToken)
    {
        CleanerStats stats;
        try
        {
            stats = _cleaner.Clean(log, range, now, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (log.IsClosed && e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return null; // The topic was deleted under the clean.
        }
        catch (Exception e)
        {
            _uncleanable.AddOrUpdate(log, e.Message);
            _logger.LogError(e, "Cleaning {Log} failed; it is marked uncleanable until the broker restarts", log.Name);
            return null;
        }

        if (log.IsOffline)
        {
            _uncleanable.AddOrUpdate(log, "offline");
        }

        if (stats.EndOffset >= 0)
        {
            _firstDirty.AddOrUpdate(log, new StrongBox<long>(stats.EndOffset));
            try
            {
                CleanerCheckpoint.Write(log.Directory, stats.EndOffset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only progress is lost: the next start cleans from the older checkpoint again.
                _logger.LogWarning(e, "Could not write the cleaner checkpoint of {Log}", log.Name);
            }

            Interlocked.Increment(ref _cleanings);
            Volatile.Write(ref _lastStats, stats);
            _logger.LogInformation(
                "Cleaned {Log} up to offset {End}: {Read:N0} bytes read ({MapRead:N0} for the offset map), {Written:N0} written, {Records:N0} records kept of {Total:N0}, {Replaced} segments into {Cleaned}, offset map {Utilization:P0} of {MapBytes:N0} bytes, {Seconds:0.###} s ({Rate:0.#} MB/s)",
                log.Name, stats.EndOffset, stats.BytesRead, stats.MapBytesRead, stats.BytesWritten, stats.RecordsRetained, stats.RecordsRead,
                stats.SegmentsReplaced, stats.SegmentsWritten, stats.MapUtilization, stats.MapMemoryBytes, stats.Elapsed.TotalSeconds, stats.MegabytesPerSecond);
        }

        return stats;
    }
}
