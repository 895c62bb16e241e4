using System.Globalization;
using System.Text;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Bytes of a segment that recovery found damaged and kept in place: fetches of its offsets are refused with
/// CORRUPT_MESSAGE, reads of the batches around it are served, and nothing is truncated or deleted because of it.
/// </summary>
/// <param name="Position">The file position where the damage starts.</param>
/// <param name="Length">The damaged bytes (up to the next valid batch, or the end of the file).</param>
/// <param name="FirstOffset">The first offset the damaged bytes may hold: one past the last good batch before them.</param>
/// <param name="LastOffset">
/// The last offset they may hold: one before the next good batch (or segment); below <paramref name="FirstOffset"/>
/// when the damage lies between two consecutive batches and holds no offsets.
/// </param>
/// <param name="Reason">What was wrong with the first damaged batch.</param>
internal readonly record struct DamagedRange(long Position, long Length, long FirstOffset, long LastOffset, string Reason)
{
    /// <summary>The position one past the damaged bytes.</summary>
    public long End => Position + Length;

    /// <summary>Whether the damaged bytes may hold any offset.</summary>
    public bool HasOffsets => LastOffset >= FirstOffset;

    /// <summary>
    /// The range a scan's <paramref name="damage"/> covers, its last offset resolved from its neighbours: one before the
    /// next good batch, else before the next segment, else before the recovery point's offset when the checkpoint names
    /// this segment, else what the damaged header itself claims, else its first offset.
    /// </summary>
    public static DamagedRange Resolve(SegmentScanner.Damage damage, long segmentBaseOffset, long? nextSegmentBaseOffset, long[]? recoveryPoint)
    {
        var last = damage.FollowingBaseOffset is { } following ? following - 1
            : nextSegmentBaseOffset is { } nextSegment ? nextSegment - 1
            : recoveryPoint is [var rpSegment, _, var rpOffset] && rpSegment == segmentBaseOffset && rpOffset > damage.FirstOffset ? rpOffset - 1
            : damage.ClaimedLastOffset ?? damage.FirstOffset;
        return new DamagedRange(damage.Position, damage.Length, damage.FirstOffset, last, damage.Reason);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Length} bytes at position {Position}, offsets {FirstOffset}..{LastOffset}: {Reason}";
}

/// <summary>
/// The side file of a segment's <see cref="DamagedRange"/>s, so that a later start still refuses them without walking
/// the segment again. Stateless.
/// </summary>
/// <remarks>
/// On disk: <c>&lt;base offset&gt;.damaged</c> beside the segment, written atomically with <see cref="DurableFile"/>; one
/// text line per range, <c>1 &lt;position&gt; &lt;length&gt; &lt;first offset&gt; &lt;last offset&gt; &lt;reason&gt;</c>.
/// A missing file means no known damage; an unreadable one reads as none (the next index rebuild finds the damage again).
/// </remarks>
internal static class DamagedRangeFile
{
    /// <summary>The side file's extension.</summary>
    public const string Extension = ".damaged";

    /// <summary>The ranges in <paramref name="path"/>, sorted by position; empty when there is no (readable) file.</summary>
    public static DamagedRange[] Read(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return [];
            }

            var ranges = new List<DamagedRange>();
            foreach (var line in File.ReadAllLines(path))
            {
                var parts = line.Split(' ', 6);
                if (parts.Length == 6 && parts[0] == "1" &&
                    long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position) &&
                    long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length) &&
                    long.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var first) &&
                    long.TryParse(parts[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var last))
                {
                    ranges.Add(new DamagedRange(position, length, first, last, parts[5]));
                }
            }

            return [.. ranges.OrderBy(r => r.Position)];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>Writes <paramref name="ranges"/>, or removes the file when there are none.</summary>
    public static void Write(string path, IReadOnlyList<DamagedRange> ranges)
    {
        if (ranges.Count == 0)
        {
            File.Delete(path);
            return;
        }

        var text = new StringBuilder();
        foreach (var r in ranges)
        {
            text.Append(CultureInfo.InvariantCulture, $"1 {r.Position} {r.Length} {r.FirstOffset} {r.LastOffset} {r.Reason.ReplaceLineEndings(" ")}\n");
        }

        DurableFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.ToString()));
    }
}
