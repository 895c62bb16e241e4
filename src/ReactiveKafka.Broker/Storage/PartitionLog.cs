using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The log of one partition: a directory of <see cref="LogSegment"/>s, the last one active.
/// </summary>
/// <remarks>
/// <para>On disk, <c>&lt;data&gt;/&lt;topic&gt;-&lt;partition&gt;/</c> holds the segments
/// (<c>&lt;20-digit base offset&gt;.log|.index|.timeindex</c>) and two checkpoints (see
/// <see cref="CheckpointFile"/>): the recovery point and the log start offset; a compacted topic's also holds the
/// cleaner's <see cref="Cleaning.CleanerCheckpoint"/>.</para>
/// <para>Thread-safety: every method is safe to call concurrently. Appends and structural changes
/// (roll, retention, DeleteRecords, the cleaner's segment swap, config updates, close) are serialized by one write lock — one
/// writer at a time, held for the buffered write only, never for an fsync (except a config change
/// that turns on <see cref="FlushPolicy.Durable"/>, and close). Reads take no lock: they use an
/// immutable snapshot of the segment list and reference-count the segment they read, so a segment
/// deleted by retention mid-read is only closed when the read releases it. fsyncs run on a
/// separate flush lock (see <c>PartitionLog.Durability.cs</c>).</para>
/// <para>Offsets: <see cref="LogStartOffset"/> &lt;= <see cref="HighWatermark"/> &lt;=
/// <see cref="LogEndOffset"/>. In Durable mode the high watermark is the fsync'd end, so consumers
/// never see data a crash could lose; otherwise it is the log end offset.</para>
/// </remarks>
internal sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly Lock _writeLock = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile LogSegment[] _segments;
    private volatile LogConfig _config;
    private long _logStartOffset;
    private long _logEndOffset;
    private long _highWatermark;
    private volatile bool _closed;

    private PartitionLog(string directory, LogConfig config, TimeProvider time, ILogger logger, LogSegment[] segments)
    {
        Directory = directory;
        _config = config;
        _time = time;
        _logger = logger;
        _segments = segments;
    }

    /// <summary>Raised (on the appending or flushing thread) after <see cref="HighWatermark"/> advances; keep handlers short and non-throwing.</summary>
    public event Action<PartitionLog>? HighWatermarkAdvanced;

    /// <summary>The partition directory.</summary>
    public string Directory { get; }

    /// <summary>The current config.</summary>
    public LogConfig Config => _config;

    /// <summary>The first offset a consumer can fetch.</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>One past the last appended offset.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>One past the last offset consumers may see (durable end in Durable mode).</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>Total bytes of all segments.</summary>
    public long Size => _segments.Sum(s => s.Size);

    /// <summary>The number of segments (including the active one).</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="directory"/> and recovers it:
    /// <list type="number">
    /// <item>(pass 0) roll back or complete a log cleaner's segment swap that a crash interrupted;</item>
    /// <item>find the segments (<c>*.log</c> with 20-digit names; stray temp files are removed);</item>
    /// <item>re-validate (CRC) everything after the recovery point — the tail of the segment it names and any later
    /// segment — rebuilding those segments' indexes by the same walk; a torn tail (damage with nothing valid after it)
    /// at the end of the last segment is cut off, as a crash in the middle of a write leaves it;</item>
    /// <item>load the other segments' indexes, rebuilding any that do not match their log (with a CRC check of the
    /// whole segment) — never truncating: that data was flushed;</item>
    /// <item>keep every other damaged stretch in place (see <see cref="DamagedRange"/>), with the offsets it may hold
    /// resolved from its neighbours, listed in a side file and refused to fetches with CORRUPT_MESSAGE; no segment is
    /// ever deleted because of damage in another;</item>
    /// <item>load the log start offset checkpoint, clamped to the segments present.</item>
    /// </list>
    /// Everything left on disk is then treated as durable.
    /// </summary>
    public static PartitionLog Open(string directory, LogConfig config, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        System.IO.Directory.CreateDirectory(directory);

        // Pass 0: roll back an unfinished clean, complete an interrupted segment swap (see Cleaning.SegmentSwap).
        Cleaning.SegmentSwap.RecoverInterrupted(directory, logger);

        // Pass 1: find the segments.
        foreach (var temp in System.IO.Directory.EnumerateFiles(directory, "*.tmp"))
        {
            File.Delete(temp);
        }

        var bases = System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogExtension)
            .Select(f => LogSegment.TryParseStem(Path.GetFileNameWithoutExtension(f), out var b) ? b : -1)
            .Where(b => b >= 0)
            .Order()
            .ToList();
        var segments = new List<LogSegment>(bases.Count);
        foreach (var b in bases)
        {
            segments.Add(LogSegment.Open(directory, b, config.IndexIntervalBytes));
        }

        // Pass 2: re-validate everything after the recovery point. Only the last segment's tail can be torn by a crash:
        // earlier segments were complete when the next one was created.
        var recoveryPoint = CheckpointFile.Read(Path.Combine(directory, CheckpointFile.RecoveryPointName), 3);
        var reports = new LogSegment.RecoveryReport?[segments.Count];
        var trusted = new bool[segments.Count];
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            long validateFrom = recoveryPoint is null ? 0
                : segment.BaseOffset < recoveryPoint[0] ? long.MaxValue
                : segment.BaseOffset == recoveryPoint[0] && segment.Size >= recoveryPoint[1] ? recoveryPoint[1]
                : 0;
            if (validateFrom == long.MaxValue || (validateFrom == segment.Size && validateFrom > 0))
            {
                trusted[i] = true;
                continue;
            }

            var report = segment.Recover(validateFrom, truncateFrom: i == segments.Count - 1 ? validateFrom : long.MaxValue);
            reports[i] = report;
            if (report.Truncated is { } truncated)
            {
                logger.LogWarning("Recovery of {Segment} cut off a torn tail after the recovery point: {Problem}", segment.LogPath, truncated);
            }
        }

        // Pass 3: load (or rebuild) the indexes of the segments that were not re-validated.
        for (var i = 0; i < segments.Count; i++)
        {
            if (trusted[i])
            {
                var report = segments[i].LoadIndexes();
                reports[i] = report;
                if (report.Rebuilt is { } rebuilt)
                {
                    logger.LogWarning("Indexes of {Segment} rebuilt from the log, nothing truncated: {Problem}", segments[i].LogPath, rebuilt);
                }
            }
        }

        // Pass 4: damage kept in place, with the offsets it may hold.
        for (var i = 0; i < segments.Count; i++)
        {
            if (reports[i] is { Damages.Count: > 0 } or { ReplacesKnownDamage: true })
            {
                KeepDamage(segments, i, reports[i]!, recoveryPoint, logger);
            }
            else if (segments[i].DamagedRanges.Count > 0)
            {
                logger.LogWarning("{Segment} still holds damaged data found by an earlier recovery, refused to fetches with CORRUPT_MESSAGE: {Damage}",
                    segments[i].LogPath, string.Join("; ", segments[i].DamagedRanges));
            }
        }

        // Pass 5: the log start offset.
        var startCheckpoint = CheckpointFile.Read(Path.Combine(directory, CheckpointFile.LogStartOffsetName), 1);
        if (segments.Count == 0)
        {
            segments.Add(LogSegment.Create(directory, Math.Max(0, startCheckpoint?[0] ?? 0), config.IndexIntervalBytes));
            DurableFile.SyncDirectory(directory);
        }

        var log = new PartitionLog(directory, config, time, logger, [.. segments]);
        var end = segments[^1].NextOffset;
        log._logEndOffset = end;
        log._highWatermark = end;
        log._durableOffset = end;
        log._durablePoint = new RecoveryPoint(segments[^1].BaseOffset, segments[^1].Size, end);
        log._logStartOffset = Math.Clamp(startCheckpoint?[0] ?? 0, segments[0].BaseOffset, end);
        log.LoadProducerState(time.GetUtcNow().ToUnixTimeMilliseconds());
        log.StartFlushing(config);
        logger.LogDebug("Opened {Directory}: {Segments} segments, offsets [{Start}, {End})",
            directory, segments.Count, log._logStartOffset, end);
        return log;
    }

    /// <summary>
    /// Applies a new config (AlterConfigs): index interval, roll and retention settings take effect
    /// at the next append or retention pass; a flush policy change flushes everything first so the
    /// high watermark never moves backwards.
    /// </summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                var old = _config;
                if (old.FlushPolicy != config.FlushPolicy && !_closed)
                {
                    FlushAllLocked();
                }

                _config = config;
                _segments[^1].IndexIntervalBytes = config.IndexIntervalBytes;
            }

            StartFlushing(config);
        }

        SignalAdvanced();
    }

    /// <summary>
    /// Flushes everything (fsync of dirty segments, index files) and writes the recovery point,
    /// so a later open only re-validates what is appended after this call.
    /// </summary>
    public void Flush()
    {
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                if (_closed)
                {
                    return;
                }

                FlushAllLocked();
                WriteRecoveryCheckpointLocked();
            }
        }

        SignalAdvanced();
    }

    /// <summary>Deletes the whole log from disk (topic deletion). Readers in flight keep reading their open files.</summary>
    public async ValueTask DeleteAsync()
    {
        await StopFlushingAsync().ConfigureAwait(false);
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                if (!_closed)
                {
                    _closed = true;
                    foreach (var segment in _segments)
                    {
                        segment.ReleaseWithDirectory();
                    }
                }
            }
        }

        SignalAdvanced();

        // Renamed first (as Kafka does), so that a topic re-created under the same name starts in an empty directory
        // while readers of this one may still hold its files open; a crash before the delete leaves a "-delete"
        // directory that the next start removes.
        var doomed = $"{Directory}.{Guid.NewGuid():N}-delete";
        try
        {
            System.IO.Directory.Move(Directory, doomed);
            System.IO.Directory.Delete(doomed, recursive: true);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Could not remove {Directory}", Directory);
        }
    }

    /// <summary>Flushes, writes the checkpoints and closes the files. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopFlushingAsync().ConfigureAwait(false);
        lock (_flushLock)
        {
            lock (_writeLock)
            {
                if (_closed)
                {
                    return;
                }

                try
                {
                    FlushAllLocked();
                    WriteRecoveryCheckpointLocked();
                    TakeProducerSnapshotLocked(_logEndOffset, always: _logEndOffset > _logStartOffset);
                }
                catch (IOException e)
                {
                    _logger.LogError(e, "Flush on close of {Directory} failed; the next open will recover", Directory);
                }

                _closed = true;
                foreach (var segment in _segments)
                {
                    segment.Release();
                }
            }
        }

        SignalAdvanced();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Directory} [{LogStartOffset}, {LogEndOffset}) hw {HighWatermark}, {_segments.Length} segments";

    // The damage one segment's recovery found, kept in place with its offsets resolved (see DamagedRange.Resolve).
    private static void KeepDamage(List<LogSegment> segments, int index, LogSegment.RecoveryReport report, long[]? recoveryPoint, ILogger logger)
    {
        var segment = segments[index];
        var ranges = report.ReplacesKnownDamage ? [] : segment.DamagedRanges.ToList();
        long? nextSegment = index + 1 < segments.Count ? segments[index + 1].BaseOffset : null;
        foreach (var damage in report.Damages)
        {
            var range = DamagedRange.Resolve(damage, segment.BaseOffset, nextSegment, recoveryPoint);
            ranges.Add(range);
            logger.LogError("Recovery found damaged data in {Segment}: {Damage}. Kept in place (nothing truncated or deleted); fetches of offsets {First}..{Last} get CORRUPT_MESSAGE, the records around them are served",
                segment.LogPath, range, range.FirstOffset, range.LastOffset);
        }

        segment.SetDamagedRanges(ranges);
    }
}
