using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The log of one partition: a directory of <see cref="LogSegment"/>s, the last one active.
/// </summary>
/// <remarks>
/// <para>On disk, <c>&lt;data&gt;/&lt;topic&gt;-&lt;partition&gt;/</c> holds the segments
/// (<c>&lt;20-digit base offset&gt;.log|.index|.timeindex</c>) and two checkpoints (see
/// <see cref="CheckpointFile"/>): the recovery point and the log start offset.</para>
/// <para>Thread-safety: every method is safe to call concurrently. Appends and structural changes
/// (roll, retention, DeleteRecords, config updates, close) are serialized by one write lock — one
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
    /// <item>find the segments (<c>*.log</c> with 20-digit names; stray temp files are removed);</item>
    /// <item>re-validate (CRC) everything after the recovery point — the tail of the segment it
    /// names and any later segment — truncating at the first torn or corrupt batch and dropping
    /// the segments after it; those segments' indexes are rebuilt by the same walk;</item>
    /// <item>load the other segments' indexes, rebuilding any that do not match their log;</item>
    /// <item>load the log start offset checkpoint, clamped to the segments present.</item>
    /// </list>
    /// Everything left on disk is then treated as durable.
    /// </summary>
    public static PartitionLog Open(string directory, LogConfig config, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        System.IO.Directory.CreateDirectory(directory);

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

        // Pass 2: re-validate everything after the recovery point.
        var recoveryPoint = CheckpointFile.Read(Path.Combine(directory, CheckpointFile.RecoveryPointName), 3);
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

            if (segment.Recover(validateFrom) is { } problem)
            {
                logger.LogWarning("Recovery of {Segment} truncated it: {Problem}", segment.LogPath, problem);
                DropSegmentsAfter(segments, i, logger);
                break;
            }
        }

        // Pass 3: load (or rebuild) the indexes of the segments that were not re-validated.
        for (var i = 0; i < segments.Count; i++)
        {
            if (trusted[i] && segments[i].LoadIndexes() is { } problem)
            {
                logger.LogWarning("Indexes of {Segment} rebuilt: {Problem}", segments[i].LogPath, problem);
                if (segments[i].WasTruncated)
                {
                    DropSegmentsAfter(segments, i, logger);
                }
            }
        }

        // Pass 4: the log start offset.
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

    // A truncated segment invalidates everything after it: those offsets can no longer follow on.
    private static void DropSegmentsAfter(List<LogSegment> segments, int index, ILogger logger)
    {
        for (var j = segments.Count - 1; j > index; j--)
        {
            logger.LogWarning("Recovery deletes {Segment}, which follows a truncated segment", segments[j].LogPath);
            segments[j].MarkForDeletion();
            segments.RemoveAt(j);
        }
    }
}
