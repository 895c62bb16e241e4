namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>What the grouping needs to know of one segment.</summary>
/// <param name="BaseOffset">The segment's base offset.</param>
/// <param name="Size">Bytes of its log file.</param>
/// <param name="IndexBytes">Bytes of its offset index entries.</param>
/// <param name="TimeIndexBytes">Bytes of its time index entries.</param>
internal readonly record struct SegmentExtent(long BaseOffset, long Size, long IndexBytes, long TimeIndexBytes);

/// <summary>
/// Groups consecutive segments to be cleaned into one cleaned segment each (Kafka's <c>groupSegmentsBySize</c>), so that
/// cleaning does not leave a log of ever smaller segments: a group's log bytes stay within <c>segment.bytes</c>, each of
/// its index sizes within <c>segment.index.bytes</c>, and its offsets within the 32-bit relative range of one segment.
/// Pure and thread-safe.
/// </summary>
internal static class SegmentGrouper
{
    /// <summary>
    /// Splits <paramref name="segments"/> (consecutive, in offset order) into groups, returned as (first index, count).
    /// <paramref name="endOffset"/> bounds the last segment's offsets (the first offset after the cleaned range).
    /// Every segment is in exactly one group; a group may exceed the limits only when it is a single segment.
    /// </summary>
    public static List<(int Start, int Count)> Group(IReadOnlyList<SegmentExtent> segments, long maxBytes, long maxIndexBytes, long endOffset)
    {
        var groups = new List<(int Start, int Count)>();
        var i = 0;
        while (i < segments.Count)
        {
            var first = segments[i];
            var (bytes, index, timeIndex) = (first.Size, first.IndexBytes, first.TimeIndexBytes);
            var count = 1;
            while (i + count < segments.Count)
            {
                var next = segments[i + count];
                // The next segment's offsets end before the one after it starts (or before the range's end).
                var lastOffset = (i + count + 1 < segments.Count ? segments[i + count + 1].BaseOffset : endOffset) - 1;
                if (bytes + next.Size > maxBytes ||
                    index + next.IndexBytes > maxIndexBytes ||
                    timeIndex + next.TimeIndexBytes > maxIndexBytes ||
                    (next.Size > 0 && lastOffset - first.BaseOffset > int.MaxValue))
                {
                    break;
                }

                bytes += next.Size;
                index += next.IndexBytes;
                timeIndex += next.TimeIndexBytes;
                count++;
            }

            groups.Add((i, count));
            i += count;
        }

        return groups;
    }
}
