using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// One segment of a partition log: a <c>.log</c> file of whole RecordBatch v2 batches (offsets
/// already assigned) plus its sparse <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>.
/// </summary>
/// <remarks>
/// <para>On disk, in the partition directory: <c>&lt;base offset, 20 digits zero-padded&gt;.log</c>
/// holding batches back to back exactly as on the wire; <c>.index</c> and <c>.timeindex</c> with the
/// same stem. The base offset is the first offset the segment may hold.</para>
/// <para>Thread-safety: one writer at a time (<see cref="Append(ReadOnlySpan{byte}, long)"/>, <see cref="TruncateTo"/>,
/// index flushes — the owning <see cref="PartitionLog"/> serializes them) and any number of
/// concurrent readers. The writer writes the bytes, then publishes <see cref="Size"/> and
/// <see cref="NextOffset"/> with volatile stores, so readers only ever see whole batches.
/// Lifetime is reference counted: the owning log holds one reference, each reader takes one with
/// <see cref="TryAcquire"/>; <see cref="MarkForDeletion"/> drops the log's reference, and the file
/// handle is closed and the files deleted when the last reader releases.</para>
/// </remarks>
internal sealed partial class LogSegment
{
    /// <summary>The file name extension of the log file.</summary>
    public const string LogExtension = ".log";

    /// <summary>The file name extension of the offset index.</summary>
    public const string IndexExtension = ".index";

    /// <summary>The file name extension of the time index.</summary>
    public const string TimeIndexExtension = ".timeindex";

    /// <summary>The file name extension of the aborted-transaction index.</summary>
    public const string TxnIndexExtension = ".txnindex";

    private readonly SafeFileHandle _handle;
    private readonly string _stem;
    private OffsetIndex _index = OffsetIndex.CreateEmpty();
    private TimeIndex _timeIndex = TimeIndex.CreateEmpty();
    private TransactionIndex _txnIndex = new();
    private long _size;
    private long _nextOffset;
    private long _maxTimestamp = -1;
    private long _offsetOfMaxTimestamp;
    private int _bytesSinceLastIndexEntry;
    private long _flushedSize;
    private int _references = 1;
    private volatile bool _deleteWhenReleased;

    private LogSegment(string directory, long baseOffset, SafeFileHandle handle, long size, int indexIntervalBytes, string suffix = "")
    {
        BaseOffset = baseOffset;
        _stem = Path.Combine(directory, FileStem(baseOffset));
        SetPaths(suffix);
        _handle = handle;
        _size = size;
        _flushedSize = size;
        _nextOffset = baseOffset;
        IndexIntervalBytes = indexIntervalBytes;
    }

    /// <summary>The first offset this segment may hold (its file name).</summary>
    public long BaseOffset { get; }

    /// <summary>Path of the <c>.log</c> file (with a cleaner's suffix while it is being swapped in or out).</summary>
    public string LogPath { get; private set; } = "";

    /// <summary>Path of the <c>.index</c> file.</summary>
    public string IndexPath { get; private set; } = "";

    /// <summary>Path of the <c>.timeindex</c> file.</summary>
    public string TimeIndexPath { get; private set; } = "";

    /// <summary>Path of the <c>.txnindex</c> file (aborted transactions; absent while there are none).</summary>
    public string TxnIndexPath { get; private set; } = "";

    /// <summary>The aborted transactions whose ABORT marker is in this segment, in offset order.</summary>
    public IReadOnlyList<AbortedTxn> AbortedTransactions => _txnIndex.Entries;

    /// <summary>Bytes of whole batches in the log file.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>One past the last offset in the segment; <see cref="BaseOffset"/> when empty.</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>The largest batch max timestamp in the segment, -1 when empty.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>
    /// When the segment started to fill (ms since epoch): the wall clock at its first append, or
    /// for a segment loaded from disk its first batch's max timestamp; -1 while empty. Drives
    /// <see cref="LogConfig.SegmentMs"/>.
    /// </summary>
    public long RollingTimestampMs { get; private set; } = -1;

    /// <summary>The index interval in bytes; the writer may change it on a config update.</summary>
    public int IndexIntervalBytes { get; set; }

    /// <summary>Whether bytes were appended since the last <see cref="FlushToDisk"/>.</summary>
    public bool IsDirty => Volatile.Read(ref _flushedSize) != Size;

    /// <summary>The file name stem of a segment: the base offset as 20 zero-padded digits.</summary>
    public static string FileStem(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>Parses a segment file name stem; false when it is not 20 digits.</summary>
    public static bool TryParseStem(string stem, out long baseOffset)
    {
        baseOffset = 0;
        return stem.Length == 20 && stem.All(char.IsAsciiDigit) &&
               long.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Creates a new empty segment, replacing any stale files with the same base offset.</summary>
    public static LogSegment Create(string directory, long baseOffset, int indexIntervalBytes)
    {
        var stem = Path.Combine(directory, FileStem(baseOffset));
        File.Delete(stem + IndexExtension);
        File.Delete(stem + TimeIndexExtension);
        File.Delete(stem + DamagedRangeFile.Extension);
        File.Delete(stem + TxnIndexExtension);
        var handle = File.OpenHandle(stem + LogExtension, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        return new LogSegment(directory, baseOffset, handle, 0, indexIntervalBytes);
    }

    /// <summary>
    /// Opens an existing segment's log file. Indexes are not loaded yet: the caller runs
    /// <see cref="Recover"/> or <see cref="LoadIndexes"/> (recovery passes 2 and 3) next.
    /// </summary>
    public static LogSegment Open(string directory, long baseOffset, int indexIntervalBytes)
    {
        var path = Path.Combine(directory, FileStem(baseOffset) + LogExtension);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        var segment = new LogSegment(directory, baseOffset, handle, RandomAccess.GetLength(handle), indexIntervalBytes);
        segment._txnIndex = TransactionIndex.Load(segment.TxnIndexPath);
        return segment;
    }

    /// <summary>
    /// Appends whole, valid batches whose offsets were already assigned (writer only) and updates
    /// the indexes from their headers; no per-record work.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, long nowMs)
    {
        var position = _size;
        RandomAccess.Write(_handle, batches, position);
        var offset = 0;
        var next = _nextOffset;
        while (offset < batches.Length)
        {
            RecordBatchHeader.TryRead(batches[offset..], out var header);
            TrackBatch(position + offset, header);
            next = header.LastOffset + 1;
            offset += header.TotalSize;
        }

        if (RollingTimestampMs < 0)
        {
            RollingTimestampMs = nowMs;
        }

        Volatile.Write(ref _nextOffset, next);
        Volatile.Write(ref _size, position + batches.Length);
    }

    /// <summary>
    /// Appends produced batches whose base offsets were assigned from <paramref name="baseOffset"/> on (writer only),
    /// indexing them from the headers the validation walk read (<paramref name="logAppendTimeMs"/>, when set, is the
    /// max timestamp the log-append-time stamp wrote into each).
    /// </summary>
    public void Append(ReadOnlySpan<byte> data, IReadOnlyList<ProducedBatch> batches, long baseOffset, long? logAppendTimeMs, long nowMs)
    {
        var position = _size;
        RandomAccess.Write(_handle, data, position);
        var next = baseOffset;
        foreach (var batch in batches)
        {
            var header = batch.Header with { BaseOffset = next, MaxTimestamp = logAppendTimeMs ?? batch.Header.MaxTimestamp };
            TrackBatch(position + batch.Position, header);
            next = header.LastOffset + 1;
        }

        if (RollingTimestampMs < 0)
        {
            RollingTimestampMs = nowMs;
        }

        Volatile.Write(ref _nextOffset, next);
        Volatile.Write(ref _size, position + data.Length);
    }

    /// <summary>Indexes an aborted transaction whose marker is in this segment (writer only); one already indexed is skipped.</summary>
    public void AppendAbortedTransaction(in AbortedTxn entry) => _txnIndex.Append(TxnIndexPath, entry);

    /// <summary>Adds the aborted transactions indexed here that overlap [<paramref name="from"/>, <paramref name="upperExclusive"/>).</summary>
    public void CollectAbortedTransactions(long from, long upperExclusive, List<AbortedTxn> into) => _txnIndex.Collect(from, upperExclusive, into);

    /// <summary>Drops the aborted transactions whose marker is at or after <paramref name="offset"/> (recovery: a replay re-adds them).</summary>
    public void TruncateAbortedTransactionsFrom(long offset) => _txnIndex.TruncateFrom(TxnIndexPath, offset);

    /// <summary>Reads bytes at a file position; returns how many were read (fewer at the end).</summary>
    public int Read(long position, Span<byte> destination)
    {
        var available = Size - position;
        if (available <= 0)
        {
            return 0;
        }

        if (destination.Length > available)
        {
            destination = destination[..(int)available];
        }

        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[total..], position + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Reads the batch header at <paramref name="position"/>; false past the end.</summary>
    public bool TryReadHeader(long position, out RecordBatchHeader header)
    {
        Span<byte> buffer = stackalloc byte[RecordBatchHeader.Size];
        if (Read(position, buffer) < RecordBatchHeader.Size)
        {
            header = default;
            return false;
        }

        return RecordBatchHeader.TryRead(buffer, out header);
    }

    /// <summary>Returned by <see cref="FindPosition"/> when the offset lies in damaged bytes.</summary>
    public const long Damaged = -2;

    /// <summary>
    /// The file position of the batch that contains <paramref name="offset"/> (or the first batch
    /// after it, when offsets have a gap), or -1 when the segment has nothing at or after it, or
    /// <see cref="Damaged"/> when the offset lies in a damaged range (<paramref name="damage"/> says which) or the
    /// walk meets a header that cannot be a batch's. Index lookup, then a walk over batch headers that steps over
    /// damaged ranges holding only lower offsets.
    /// </summary>
    public long FindPosition(long offset, out DamagedRange damage)
    {
        damage = default;
        long position = _index.Lookup(Math.Max(0, offset - BaseOffset)).Position;
        var end = Size;
        var damaged = Volatile.Read(ref _damaged);
        var expected = BaseOffset;
        while (position < end)
        {
            if (damaged.Length > 0 && DamageAt(damaged, position) is { } range)
            {
                if (range.HasOffsets && offset <= range.LastOffset)
                {
                    damage = range;
                    return Damaged;
                }

                expected = Math.Max(expected, range.LastOffset + 1);
                position = range.End;
                continue;
            }

            if (!TryReadHeader(position, out var header))
            {
                break;
            }

            if (!IsPlausible(header, position, end, expected))
            {
                damage = new DamagedRange(position, end - position, Math.Max(expected, BaseOffset), offset, $"malformed batch header at position {position}, found while serving a fetch");
                return Damaged;
            }

            if (header.LastOffset >= offset)
            {
                return position;
            }

            expected = header.LastOffset + 1;
            position += header.TotalSize;
        }

        return -1;
    }

    /// <summary>The position where the first damaged range at or after <paramref name="position"/> starts; <see cref="long.MaxValue"/> when none.</summary>
    public long NextDamageAfter(long position)
    {
        foreach (var range in Volatile.Read(ref _damaged))
        {
            if (range.Position >= position)
            {
                return range.Position;
            }
        }

        return long.MaxValue;
    }

    /// <summary>Whether <paramref name="header"/> read at <paramref name="position"/> can be a stored batch (framing and offsets only).</summary>
    public bool IsPlausible(in RecordBatchHeader header, long position, long end, long expectedOffset) =>
        header.Magic == RecordBatchHeader.CurrentMagic &&
        header.BatchLength >= RecordBatchHeader.Size - RecordBatchHeader.LogOverhead &&
        position + (long)header.BatchLength + RecordBatchHeader.LogOverhead <= end &&
        header.BaseOffset >= expectedOffset && header.LastOffsetDelta >= 0;

    private static DamagedRange? DamageAt(DamagedRange[] damaged, long position)
    {
        foreach (var range in damaged)
        {
            if (range.Position == position)
            {
                return range;
            }
        }

        return null;
    }

    /// <summary>
    /// The base offset of the first batch whose max timestamp is &gt;= <paramref name="timestampMs"/>,
    /// or null when none: time index lookup, offset index lookup, then a header walk.
    /// </summary>
    public long? FindOffsetByTimestamp(long timestampMs)
    {
        if (MaxTimestamp < timestampMs)
        {
            return null;
        }

        var relative = _timeIndex.Lookup(timestampMs);
        long position = _index.Lookup(relative).Position;
        var end = Size;
        var damaged = Volatile.Read(ref _damaged);
        while (position < end)
        {
            if (damaged.Length > 0 && DamageAt(damaged, position) is { } range)
            {
                position = range.End;
                continue;
            }

            if (!TryReadHeader(position, out var header) || !IsPlausible(header, position, end, BaseOffset))
            {
                break;
            }

            if (header.MaxTimestamp >= timestampMs)
            {
                return header.BaseOffset;
            }

            position += header.TotalSize;
        }

        return null;
    }

    /// <summary>fsyncs the log file (safe concurrently with appends: covers at least what was written before).</summary>
    public void FlushToDisk()
    {
        var size = Size;
        RandomAccess.FlushToDisk(_handle);
        Volatile.Write(ref _flushedSize, Math.Max(Volatile.Read(ref _flushedSize), size));
    }

    /// <summary>Writes the index entries not yet on disk (writer only).</summary>
    public void FlushIndexes(bool fsync)
    {
        _index.Flush(IndexPath, fsync);
        _timeIndex.Flush(TimeIndexPath, fsync);
        _txnIndex.Flush(TxnIndexPath, fsync);
    }

    /// <summary>Takes a reader reference; false when the segment is already closed or deleted.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Releases a reference; the last one closes the file and, if marked, deletes the files.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        _handle.Dispose();
        if (_deleteWhenReleased)
        {
            File.Delete(LogPath);
            File.Delete(IndexPath);
            File.Delete(TimeIndexPath);
            File.Delete(TxnIndexPath);
            File.Delete(DamagedPath);
        }
    }

    /// <summary>
    /// Drops the owning log's reference and deletes the files once in-flight readers are done
    /// (retention, DeleteRecords, topic deletion). Call once, instead of <see cref="Release"/>.
    /// </summary>
    public void MarkForDeletion()
    {
        _deleteWhenReleased = true;
        Release();
    }

    /// <summary>
    /// Drops the owning log's reference when the whole partition directory goes (topic deletion): the files are
    /// deleted with their renamed directory, never by path, since a re-created topic reuses these paths while a
    /// response may still hold this segment. Call once, instead of <see cref="Release"/>.
    /// </summary>
    public void ReleaseWithDirectory() => Release();

    /// <inheritdoc/>
    public override string ToString() => $"{LogPath} [{BaseOffset}, {NextOffset}) {Size} bytes";

    // Index maintenance shared by appends and recovery: an offset index entry (and a time index
    // entry if the max timestamp grew) whenever IndexIntervalBytes were written since the last one.
    private void TrackBatch(long position, in RecordBatchHeader header)
    {
        if (header.MaxTimestamp > _maxTimestamp)
        {
            Volatile.Write(ref _maxTimestamp, header.MaxTimestamp);
            _offsetOfMaxTimestamp = header.BaseOffset;
        }

        if (_bytesSinceLastIndexEntry > IndexIntervalBytes)
        {
            _index.Append((int)(header.BaseOffset - BaseOffset), (int)position);
            _timeIndex.MaybeAppend(_maxTimestamp, (int)(_offsetOfMaxTimestamp - BaseOffset));
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry += header.TotalSize;
    }
}
