using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// The crash-safe replacement of a group of segments by the cleaned segment made from them, and the recovery of one a
/// crash interrupted (recovery pass 0 of <see cref="PartitionLog.Open"/>). Stateless and thread-safe; the swap itself
/// runs under the log's write lock (<c>PartitionLog.ReplaceSegments</c>).
/// </summary>
/// <remarks>
/// <para>On disk, with X the base offset of the group's first segment (and so of the cleaned segment), the steps are:</para>
/// <list type="number">
/// <item><see cref="Step.Written"/>: the cleaner has written and fsync'd <c>X.log.cleaned</c>, <c>X.index.cleaned</c>,
/// <c>X.timeindex.cleaned</c>. A crash here rolls the clean back: recovery deletes <c>*.cleaned</c>.</item>
/// <item><see cref="Step.Swappable"/>: the cleaned files are renamed <c>.swap</c> (index files first, <c>X.log.swap</c>
/// last) and the directory fsync'd. From here recovery completes the swap.</item>
/// <item><see cref="Step.OldRenamed"/>: every replaced segment's files are renamed <c>.deleted</c>; open readers keep
/// their handles.</item>
/// <item><see cref="Step.Live"/>: the <c>.swap</c> files take the live names (the log file last) and the directory is
/// fsync'd; the log then publishes the new segment list, and each replaced segment's files are deleted when its last
/// reader releases it.</item>
/// </list>
/// <para>Recovery: <c>*.cleaned</c> and <c>*.deleted</c> are deleted; for an <c>X.log.swap</c>, every live segment with a
/// base offset in [X, the swap's end offset) is deleted — exactly the replaced group, because a cleaned segment always
/// keeps the last batch of its group (empty if need be) and so ends where the group ended — and the swap's files take
/// the live names. Index <c>.swap</c> files without their log are deleted (the index is rebuilt from the log). Any crash
/// therefore leaves either the old segments or the cleaned one, never both and never neither.</para>
/// </remarks>
internal static class SegmentSwap
{
    /// <summary>The points of a swap, after each of which a crash is survivable (test hooks stop there).</summary>
    public enum Step
    {
        /// <summary>The cleaned segment is written and fsync'd under <c>.cleaned</c> names.</summary>
        Written,

        /// <summary>The cleaned segment's files are <c>.swap</c> and durable: the swap will complete.</summary>
        Swappable,

        /// <summary>The replaced segments' files are renamed <c>.deleted</c>.</summary>
        OldRenamed,

        /// <summary>The cleaned segment has its live names.</summary>
        Live,
    }

    /// <summary>
    /// Recovery pass 0: rolls back an unfinished clean and completes an interrupted swap in <paramref name="directory"/>,
    /// before the segments are listed. Returns the number of files deleted or renamed.
    /// </summary>
    public static int RecoverInterrupted(string directory, ILogger logger)
    {
        var changed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(directory).ToList())
        {
            if (file.EndsWith(LogSegment.CleanedSuffix, StringComparison.Ordinal) || file.EndsWith(LogSegment.DeletedSuffix, StringComparison.Ordinal))
            {
                File.Delete(file);
                changed++;
            }
        }

        foreach (var swap in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogExtension + LogSegment.SwapSuffix).ToList())
        {
            var name = Path.GetFileName(swap);
            if (!LogSegment.TryParseStem(name[..^(LogSegment.LogExtension.Length + LogSegment.SwapSuffix.Length)], out var baseOffset))
            {
                continue;
            }

            var end = Math.Max(baseOffset + 1, EndOffsetOf(swap, baseOffset));
            var replaced = 0;
            foreach (var log in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogExtension).ToList())
            {
                if (LogSegment.TryParseStem(Path.GetFileNameWithoutExtension(log), out var b) && b >= baseOffset && b < end)
                {
                    DeleteSegmentFiles(directory, b, "");
                    replaced++;
                }
            }

            var stem = Path.Combine(directory, LogSegment.FileStem(baseOffset));
            foreach (var extension in (string[])[LogSegment.IndexExtension, LogSegment.TimeIndexExtension, LogSegment.TxnIndexExtension, LogSegment.LogExtension])
            {
                if (File.Exists(stem + extension + LogSegment.SwapSuffix))
                {
                    File.Move(stem + extension + LogSegment.SwapSuffix, stem + extension, overwrite: true);
                }
            }

            changed += replaced + 1;
            logger.LogWarning("Completed the swap of cleaned segment {Segment} that a crash interrupted: it replaces {Count} segments in [{Start}, {End})",
                stem + LogSegment.LogExtension, replaced, baseOffset, end);
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.SwapSuffix).ToList())
        {
            // An index whose cleaned log never became swappable, or already went live: rebuilt from the log (an aborted
            // transaction index by the producer state replay, from the latest snapshot before it).
            File.Delete(file);
            changed++;
        }

        if (changed > 0)
        {
            DurableFile.SyncDirectory(directory);
        }

        return changed;
    }

    private static void DeleteSegmentFiles(string directory, long baseOffset, string suffix)
    {
        var stem = Path.Combine(directory, LogSegment.FileStem(baseOffset));
        File.Delete(stem + LogSegment.IndexExtension + suffix);
        File.Delete(stem + LogSegment.TimeIndexExtension + suffix);
        File.Delete(stem + LogSegment.TxnIndexExtension + suffix);
        File.Delete(stem + LogSegment.LogExtension + suffix);
    }

    // One past the last offset of the whole batches in a swap file (it was fsync'd before it was named .swap, so it
    // is whole; a torn tail would only shorten the range, keeping segments rather than losing them).
    private static long EndOffsetOf(string path, long baseOffset)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        Span<byte> buffer = stackalloc byte[RecordBatchHeader.Size];
        long position = 0, end = baseOffset;
        while (position + RecordBatchHeader.Size <= length &&
               RandomAccess.Read(handle, buffer, position) == RecordBatchHeader.Size &&
               RecordBatchHeader.TryRead(buffer, out var header) &&
               header.TotalSize >= RecordBatchHeader.Size && position + header.TotalSize <= length)
        {
            end = header.LastOffset + 1;
            position += header.TotalSize;
        }

        return end;
    }
}
