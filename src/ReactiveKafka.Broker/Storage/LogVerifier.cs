using System.Globalization;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Checks a data directory without changing it (the server's <c>verify</c> mode, as Kafka's DumpLogSegments with
/// <c>--verify</c>): every batch of every segment of every partition is framed and CRC-checked with the reader recovery
/// uses, and every index is loaded against its log. Files are opened read-only and shared; nothing is written, created
/// or removed. Stateless.
/// </summary>
internal static class LogVerifier
{
    /// <summary>A problem found in one file.</summary>
    /// <param name="Path">The file, relative to the data directory.</param>
    /// <param name="Message">What is wrong, with positions and offsets.</param>
    public sealed record Finding(string Path, string Message);

    /// <summary>What a verification found.</summary>
    /// <param name="Partitions">Partition directories checked.</param>
    /// <param name="Segments">Segments checked.</param>
    /// <param name="Batches">Batches that passed.</param>
    /// <param name="Records">Records in them.</param>
    /// <param name="Bytes">Bytes of segment files read.</param>
    /// <param name="Damage">Damaged data: batches that cannot be served.</param>
    /// <param name="Notes">Problems recovery repairs without loss (indexes it rebuilds), and warnings.</param>
    public sealed record Report(int Partitions, int Segments, long Batches, long Records, long Bytes, IReadOnlyList<Finding> Damage, IReadOnlyList<Finding> Notes);

    /// <summary>Verifies every partition under <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">There is no such directory.</exception>
    public static Report Verify(string dataDirectory)
    {
        var root = Path.GetFullPath(dataDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The data directory {root} does not exist.");
        }

        var damage = new List<Finding>();
        var notes = new List<Finding>();
        if (IsHeldByABroker(root))
        {
            notes.Add(new Finding(DataDirectoryLock.FileName, "a broker is running on this data directory: the end of a segment being written may be reported as torn"));
        }

        int partitions = 0, segments = 0;
        long batches = 0, records = 0, bytes = 0;
        foreach (var partition in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(partition);
            if (name == TopicStore.MetadataDirectoryName || name.EndsWith("-delete", StringComparison.Ordinal))
            {
                continue;
            }

            var logs = Directory.EnumerateFiles(partition, "*" + LogSegment.LogExtension)
                .Select(f => (Path: f, Ok: LogSegment.TryParseStem(Path.GetFileNameWithoutExtension(f), out var b), Base: b))
                .Where(s => s.Ok)
                .OrderBy(s => s.Base)
                .ToList();
            if (logs.Count == 0)
            {
                continue;
            }

            partitions++;
            var recoveryPoint = CheckpointFile.Read(Path.Combine(partition, CheckpointFile.RecoveryPointName), 3);
            for (var i = 0; i < logs.Count; i++)
            {
                segments++;
                long? nextBase = i + 1 < logs.Count ? logs[i + 1].Base : null;
                var counts = VerifySegment(root, logs[i].Path, logs[i].Base, nextBase, recoveryPoint, damage, notes);
                batches += counts.Batches;
                records += counts.Records;
                bytes += counts.Bytes;
            }
        }

        return new Report(partitions, segments, batches, records, bytes, damage, notes);
    }

    private static (long Batches, long Records, long Bytes) VerifySegment(
        string root, string path, long baseOffset, long? nextBase, long[]? recoveryPoint, List<Finding> damage, List<Finding> notes)
    {
        var relative = Path.GetRelativePath(root, path);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        long batches = 0, records = 0;
        SegmentScanner.Result result;
        using (var scanner = new SegmentScanner(handle, baseOffset, length))
        {
            result = scanner.Scan(0, baseOffset, validateFrom: 0, [], (long _, in RecordBatchHeader header) =>
            {
                batches++;
                records += header.RecordCount;
            });
        }

        var known = DamagedRangeFile.Read(Path.ChangeExtension(path, DamagedRangeFile.Extension));
        foreach (var found in result.Damages)
        {
            var range = DamagedRange.Resolve(found, baseOffset, nextBase, recoveryPoint);
            var note = known.Any(k => k.Position == range.Position) ? " (recorded by recovery, refused to fetches)"
                : found.RunsToEnd && nextBase is null ? " (at the end of the last segment: a write cut short; the next start cuts it off if it lies after the recovery point, else keeps it)"
                : "";
            damage.Add(new Finding(relative, range + note));
        }

        if (length > 0)
        {
            CheckIndexes(root, path, length, result, notes);
        }

        return (batches, records, length);
    }

    private static void CheckIndexes(string root, string path, long length, SegmentScanner.Result result, List<Finding> notes)
    {
        var indexPath = Path.ChangeExtension(path, LogSegment.IndexExtension);
        var timeIndexPath = Path.ChangeExtension(path, LogSegment.TimeIndexExtension);
        var index = OffsetIndex.Load(indexPath, length);
        if (index is null)
        {
            notes.Add(new Finding(Path.GetRelativePath(root, indexPath), "missing or inconsistent with its log: the next start rebuilds it from the log, losing nothing"));
        }

        var relativeEnd = index?.Last is { } last ? last.RelativeOffset + 1L : long.MaxValue;
        if (TimeIndex.Load(timeIndexPath, relativeEnd) is null && (File.Exists(timeIndexPath) || result.NextOffset > 0))
        {
            notes.Add(new Finding(Path.GetRelativePath(root, timeIndexPath), "missing or inconsistent with its log: the next start rebuilds it from the log, losing nothing"));
        }
    }

    // Another process holds the data directory's lock (see DataDirectoryLock), checked without creating the file.
    private static bool IsHeldByABroker(string root)
    {
        var lockPath = Path.Combine(root, DataDirectoryLock.FileName);
        if (!File.Exists(lockPath))
        {
            return false;
        }

        try
        {
            using var probe = File.OpenHandle(lockPath, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The report as the server prints it: one line per finding, then a summary line.</summary>
    public static IEnumerable<string> Format(Report report, string dataDirectory)
    {
        foreach (var finding in report.Damage)
        {
            yield return $"DAMAGED {finding.Path}: {finding.Message}";
        }

        foreach (var finding in report.Notes)
        {
            yield return $"note {finding.Path}: {finding.Message}";
        }

        var ranges = report.Damage.Count;
        var verdict = ranges == 0 ? "no damage found" : ranges == 1 ? "1 damaged range found" : $"{ranges} damaged ranges found";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"verify {Path.GetFullPath(dataDirectory)}: {report.Partitions} partitions, {report.Segments} segments, {report.Batches} batches ({report.Records} records, {report.Bytes} bytes) checked; {verdict}");
    }
}
