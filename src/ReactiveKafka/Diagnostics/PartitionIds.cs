namespace ReactiveKafka.Diagnostics;

/// <summary>Partition numbers as tag strings, cached for the usual range so that tagging allocates nothing.</summary>
internal static class PartitionIds
{
    private static readonly string[] Cached = [.. Enumerable.Range(0, 256).Select(static p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public static string Of(int partition) =>
        (uint)partition < (uint)Cached.Length ? Cached[partition] : partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
