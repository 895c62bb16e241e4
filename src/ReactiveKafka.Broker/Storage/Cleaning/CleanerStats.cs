namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>What one clean of one log did (Kafka's <c>CleanerStats</c>), for the log line, tests and the benchmark. Mutable, owned by one clean.</summary>
internal sealed class CleanerStats
{
    /// <summary>Bytes read while building the offset map.</summary>
    public long MapBytesRead { get; set; }

    /// <summary>Records read while building the offset map.</summary>
    public long MapRecordsRead { get; set; }

    /// <summary>Bytes of the segments that were cleaned.</summary>
    public long BytesRead { get; set; }

    /// <summary>Bytes written to the cleaned segments.</summary>
    public long BytesWritten { get; set; }

    /// <summary>Records read from the cleaned segments.</summary>
    public long RecordsRead { get; set; }

    /// <summary>Records kept.</summary>
    public long RecordsRetained { get; set; }

    /// <summary>Segments replaced, and the cleaned segments that replaced them.</summary>
    public int SegmentsReplaced { get; set; }

    /// <summary>Cleaned segments swapped in.</summary>
    public int SegmentsWritten { get; set; }

    /// <summary>The offset map's memory in bytes.</summary>
    public long MapMemoryBytes { get; set; }

    /// <summary>The share of the offset map's slots used.</summary>
    public double MapUtilization { get; set; }

    /// <summary>The first offset left dirty (the next clean starts there); -1 when nothing was cleaned.</summary>
    public long EndOffset { get; set; } = -1;

    /// <summary>Whether a concurrent change (retention, a config change, the log closing) made the clean give up a group.</summary>
    public bool Aborted { get; set; }

    /// <summary>Wall time of the whole clean.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>Read throughput of the clean in MB/s (10⁶ bytes), map pass included.</summary>
    public double MegabytesPerSecond => Elapsed > TimeSpan.Zero ? (MapBytesRead + BytesRead) / 1e6 / Elapsed.TotalSeconds : 0;
}
