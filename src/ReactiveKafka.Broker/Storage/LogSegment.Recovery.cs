using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>Loading and recovery of a segment; see <see cref="PartitionLog.Open"/> for the passes.</summary>
internal sealed partial class LogSegment
{
    private DamagedRange[] _damaged = [];
    private readonly HashSet<long> _reportedDamage = [];

    /// <summary>What recovery did to one segment.</summary>
    /// <param name="Rebuilt">Why the indexes were rebuilt from the log, or null when the files were used.</param>
    /// <param name="Truncated">What was cut off the end as a torn tail, or null.</param>
    /// <param name="Damages">Damage found and kept in place; its offsets are resolved by the log (see <see cref="SetDamagedRanges"/>).</param>
    /// <param name="ReplacesKnownDamage">Whether the whole segment was walked, so that <paramref name="Damages"/> is all of it.</param>
    public sealed record RecoveryReport(string? Rebuilt, string? Truncated, IReadOnlyList<SegmentScanner.Damage> Damages, bool ReplacesKnownDamage);

    /// <summary>Damaged ranges kept in place, sorted by position (usually none). Fetches of their offsets are refused.</summary>
    public IReadOnlyList<DamagedRange> DamagedRanges => Volatile.Read(ref _damaged);

    /// <summary>Path of the side file listing <see cref="DamagedRanges"/>.</summary>
    public string DamagedPath => Path.ChangeExtension(LogPath, DamagedRangeFile.Extension);

    /// <summary>
    /// Recovery pass 2 for one segment at or after the recovery point: walks every batch from the start, checking the
    /// CRC of those at or after <paramref name="validateFrom"/>, and rebuilds both indexes from the headers. Damage that
    /// runs to the end of the file from <paramref name="truncateFrom"/> on is the torn tail of a crash and is cut off;
    /// any other damage (valid batches follow it, or it lies before <paramref name="truncateFrom"/>) is kept in place.
    /// </summary>
    public RecoveryReport Recover(long validateFrom, long truncateFrom)
    {
        ResetIndexes();
        var result = Walk(0, validateFrom, []);
        string? truncated = null;
        var damages = result.Damages.ToList();
        if (damages is [.., { RunsToEnd: true } tail] && tail.Position >= truncateFrom)
        {
            damages.RemoveAt(damages.Count - 1);
            truncated = $"{tail.Reason}; {tail.Length} bytes from position {tail.Position} cut off";
            TruncateTo(tail.Position);
        }

        return new RecoveryReport("re-validated after the recovery point", truncated, damages, ReplacesKnownDamage: true);
    }

    /// <summary>
    /// Recovery pass 3 for a segment below the recovery point: loads the index files and the damage side file and checks
    /// the indexes against the log (their last entries must name real batch starts), then walks the batches after the last
    /// index entry to learn the segment's end. When the indexes do not match, rebuilds them with a walk of the whole
    /// segment that also checks every CRC. Never truncates: data below the recovery point was flushed, so damage there is
    /// damage, not a torn write, and is kept in place.
    /// </summary>
    public RecoveryReport LoadIndexes()
    {
        var known = DamagedRangeFile.Read(DamagedPath);
        var index = OffsetIndex.Load(IndexPath, Size);
        string rebuilt;
        if (index is not null && TryLoadTimeIndex(index) is { } timeIndex)
        {
            _index = index;
            _timeIndex = timeIndex;
            _damaged = known;
            var last = index.Last;
            var start = last?.Position ?? 0;
            if (timeIndex.Last is { } t)
            {
                _maxTimestamp = t.Timestamp;
                _offsetOfMaxTimestamp = BaseOffset + t.RelativeOffset;
            }

            // The walk restarts at the last indexed batch, which is already in the index.
            _bytesSinceLastIndexEntry = 0;
            var tail = Walk(start, long.MaxValue, known);
            if (tail.Damages.Count == 0)
            {
                return new RecoveryReport(null, null, [], ReplacesKnownDamage: false);
            }

            // Damage after the last index entry: the files may be stale; rebuild them from a walk of the whole segment.
            rebuilt = $"the log after the last index entry is damaged ({tail.Damages[0].Reason})";
        }
        else
        {
            rebuilt = "index files missing or inconsistent with the log";
        }

        ResetIndexes();
        var whole = Walk(0, validateFrom: 0, []);
        return new RecoveryReport(rebuilt, null, whole.Damages, ReplacesKnownDamage: true);
    }

    /// <summary>
    /// Records the damage kept in this segment (writing or removing its side file) and moves <see cref="NextOffset"/>
    /// past damage at its end, so that new offsets never reuse ones the damaged bytes may hold. Recovery only.
    /// </summary>
    public void SetDamagedRanges(IReadOnlyList<DamagedRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Position).ToArray();
        if (!sorted.SequenceEqual(DamagedRangeFile.Read(DamagedPath)))
        {
            DamagedRangeFile.Write(DamagedPath, sorted);
        }

        foreach (var range in sorted)
        {
            _nextOffset = Math.Max(_nextOffset, range.LastOffset + 1);
        }

        Volatile.Write(ref _damaged, sorted);
    }

    /// <summary>Whether a damaged read at <paramref name="position"/> is reported for the first time (it is then logged once).</summary>
    public bool FirstReportOf(long position)
    {
        lock (_reportedDamage)
        {
            return _reportedDamage.Add(position);
        }
    }

    /// <summary>Truncates the log file to <paramref name="position"/>, a batch boundary (writer only).</summary>
    public void TruncateTo(long position)
    {
        RandomAccess.SetLength(_handle, position);
        RandomAccess.FlushToDisk(_handle);
        Volatile.Write(ref _size, position);
        Volatile.Write(ref _flushedSize, position);
    }

    private TimeIndex? TryLoadTimeIndex(OffsetIndex index)
    {
        // Time index entries are written together with offset index entries, so the time index can
        // only name offsets up to the last offset index entry, and is empty when that one is.
        var last = index.Last;
        if (last is { } l && (!TryReadHeader(l.Position, out var header) ||
                              header.Magic != RecordBatchHeader.CurrentMagic ||
                              header.BaseOffset != BaseOffset + l.RelativeOffset))
        {
            return null;
        }

        var timeIndex = TimeIndex.Load(TimeIndexPath, last is { } e ? e.RelativeOffset + 1L : 0);
        return timeIndex is null || (last is null && timeIndex.Count > 0) ? null : timeIndex;
    }

    private void ResetIndexes()
    {
        _index = OffsetIndex.CreateEmpty();
        _timeIndex = TimeIndex.CreateEmpty();
        _maxTimestamp = -1;
        _offsetOfMaxTimestamp = BaseOffset;
        _bytesSinceLastIndexEntry = 0;
        _damaged = [];
    }

    // Walks from `position` to the end of the file, tracking every good batch in the indexes; the segment's size is the
    // whole file (damage stays in place) and its next offset follows the last good batch.
    private SegmentScanner.Result Walk(long position, long validateFrom, IReadOnlyList<DamagedRange> known)
    {
        var end = RandomAccess.GetLength(_handle);
        SegmentScanner.Result result;
        using (var scanner = new SegmentScanner(_handle, BaseOffset, end))
        {
            result = scanner.Scan(position, position == 0 ? BaseOffset : NextOffsetAt(position), validateFrom, known, (long at, in RecordBatchHeader header) =>
            {
                if (RollingTimestampMs < 0)
                {
                    RollingTimestampMs = header.MaxTimestamp;
                }

                TrackBatch(at, header);
            });
        }

        _nextOffset = result.NextOffset;
        _size = end;
        _flushedSize = end;
        return result;
    }

    // The lowest offset the batch at `position` (an indexed batch start) may have: its own base offset.
    private long NextOffsetAt(long position) => TryReadHeader(position, out var header) ? header.BaseOffset : BaseOffset;
}
