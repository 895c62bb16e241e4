namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The suffixed file names of the log cleaner's segment replacement (see <see cref="Cleaning.SegmentSwap"/>): a cleaned
/// segment is written as <c>.cleaned</c>, renamed <c>.swap</c> once complete, then to its live name; the segments it
/// replaces are renamed <c>.deleted</c> before they go.
/// </summary>
internal sealed partial class LogSegment
{
    /// <summary>The suffix of a segment the cleaner is still writing; recovery deletes it (the clean is rolled back).</summary>
    public const string CleanedSuffix = ".cleaned";

    /// <summary>The suffix of a complete cleaned segment; recovery finishes its swap.</summary>
    public const string SwapSuffix = ".swap";

    /// <summary>The suffix of a replaced segment waiting for its last reader; recovery deletes it.</summary>
    public const string DeletedSuffix = ".deleted";

    /// <summary>The number of offset index entries (the cleaner's grouping bounds their sum by <c>segment.index.bytes</c>).</summary>
    public int IndexEntryCount => _index.Count;

    /// <summary>The number of time index entries.</summary>
    public int TimeIndexEntryCount => _timeIndex.Count;

    /// <summary>The suffix after each file's extension: empty for a live segment.</summary>
    public string Suffix { get; private set; } = "";

    /// <summary>
    /// Creates an empty segment for the cleaner, its files named with <see cref="CleanedSuffix"/>, replacing any stale
    /// files of an earlier attempt. Not part of any log until swapped in.
    /// </summary>
    public static LogSegment CreateCleaned(string directory, long baseOffset, int indexIntervalBytes)
    {
        var stem = Path.Combine(directory, FileStem(baseOffset));
        File.Delete(stem + IndexExtension + CleanedSuffix);
        File.Delete(stem + TimeIndexExtension + CleanedSuffix);
        File.Delete(stem + TxnIndexExtension + CleanedSuffix);
        var handle = File.OpenHandle(stem + LogExtension + CleanedSuffix, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        return new LogSegment(directory, baseOffset, handle, 0, indexIntervalBytes, CleanedSuffix);
    }

    /// <summary>
    /// Renames the segment's files to carry <paramref name="suffix"/> ("" for the live names), replacing files of that
    /// name: the index files first, the log file last, so that the log file's name is what recovery goes by. The open
    /// handle and the in-memory indexes stay valid. Writer only (the log's write lock, or a segment no log holds yet).
    /// Index files that were never written are skipped.
    /// </summary>
    public void RenameTo(string suffix)
    {
        var (log, index, timeIndex, txnIndex) = (LogPath, IndexPath, TimeIndexPath, TxnIndexPath);
        MoveIfExists(index, _stem + IndexExtension + suffix);
        MoveIfExists(timeIndex, _stem + TimeIndexExtension + suffix);
        MoveIfExists(txnIndex, _stem + TxnIndexExtension + suffix);
        File.Move(log, _stem + LogExtension + suffix, overwrite: true);
        SetPaths(suffix);
    }

    private static void MoveIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Move(from, to, overwrite: true);
        }
    }

    private void SetPaths(string suffix)
    {
        // Written before a reader can see the segment, or under the log's write lock; the last Release reads them
        // after an interlocked decrement, which orders these stores before it.
        LogPath = _stem + LogExtension + suffix;
        IndexPath = _stem + IndexExtension + suffix;
        TimeIndexPath = _stem + TimeIndexExtension + suffix;
        TxnIndexPath = _stem + TxnIndexExtension + suffix;
        Suffix = suffix;
    }
}
