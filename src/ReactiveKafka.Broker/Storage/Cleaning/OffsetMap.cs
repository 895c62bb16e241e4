using System.IO.Hashing;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// The cleaner's bounded map from a record key to the offset of its latest record in the dirty section of a log
/// (Kafka's <c>SkimpyOffsetMap</c>): a fixed amount of memory chosen up front, never more however many keys the log has.
/// When it is full the cleaner cleans what it mapped and leaves the rest dirty for the next round.
/// </summary>
/// <remarks>
/// <para>Layout: one <c>long[]</c> of <see cref="LongsPerSlot"/> longs per slot — the key's 128-bit XxHash128 (low,
/// high) and the offset plus one (0 marks an empty slot, so a new array needs no initialisation). Keys are known only
/// by their hash: two keys with the same 128 bits would count as one (the chance is about n²/2¹²⁹ for n keys; Kafka
/// takes the same risk with MD5). Open addressing: the first probes stride by a second hash, then linearly, so a
/// lookup always ends (the map never fills every slot).</para>
/// <para>At most <see cref="Capacity"/> = load factor × slots keys are held (Kafka's
/// <c>log.cleaner.io.buffer.load.factor</c>, 0.9).</para>
/// <para>Thread-safety: none; one clean uses one map.</para>
/// </remarks>
internal sealed class OffsetMap
{
    /// <summary>Bytes of memory per slot.</summary>
    public const int BytesPerSlot = LongsPerSlot * sizeof(long);

    /// <summary>The default share of slots that may be used.</summary>
    public const double DefaultLoadFactor = 0.9;

    private const int LongsPerSlot = 3;
    private const int StridedProbes = 16;
    private readonly long[] _slots;

    /// <summary>Creates a map of at most <paramref name="memoryBytes"/> bytes (at least two slots).</summary>
    public OffsetMap(long memoryBytes, double loadFactor = DefaultLoadFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryBytes, 2L * BytesPerSlot);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(loadFactor, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loadFactor, 1);
        Slots = (int)Math.Min(memoryBytes / BytesPerSlot, Array.MaxLength / LongsPerSlot);
        Capacity = Math.Clamp((int)(Slots * loadFactor), 1, Slots - 1);
        _slots = new long[(long)Slots * LongsPerSlot];
    }

    /// <summary>The number of slots.</summary>
    public int Slots { get; }

    /// <summary>The most keys the map holds.</summary>
    public int Capacity { get; }

    /// <summary>The number of keys held.</summary>
    public int Count { get; private set; }

    /// <summary>The memory the slots take, in bytes.</summary>
    public long MemoryBytes => (long)Slots * BytesPerSlot;

    /// <summary>The largest offset the map covers: every record of the mapped range at or below it was considered; -1 when none.</summary>
    public long LatestOffset { get; private set; } = -1;

    /// <summary>The share of slots in use.</summary>
    public double Utilization => Count / (double)Slots;

    /// <summary>
    /// Records <paramref name="offset"/> as the latest of <paramref name="key"/> (offsets must come in increasing order)
    /// and moves <see cref="LatestOffset"/> to it. Returns false, changing nothing, when the key is new and the map
    /// already holds <see cref="Capacity"/> keys.
    /// </summary>
    public bool TryPut(ReadOnlySpan<byte> key, long offset)
    {
        var hash = XxHash128.HashToUInt128(key);
        var at = Find(hash, out var found);
        if (!found)
        {
            if (Count >= Capacity)
            {
                return false;
            }

            _slots[at] = (long)(ulong)hash;
            _slots[at + 1] = (long)(ulong)(hash >> 64);
            Count++;
        }

        _slots[at + 2] = offset + 1;
        LatestOffset = offset;
        return true;
    }

    /// <summary>The latest offset of <paramref name="key"/>, or -1 when the map does not hold it.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        var at = Find(XxHash128.HashToUInt128(key), out var found);
        return found ? _slots[at + 2] - 1 : -1;
    }

    /// <summary>Moves <see cref="LatestOffset"/> forward (past batches with no keyed record, or to a segment's end).</summary>
    public void UpdateLatestOffset(long offset) => LatestOffset = Math.Max(LatestOffset, offset);

    // The index in _slots of the slot holding `hash`, or of the empty slot where it would go.
    private long Find(UInt128 hash, out bool found)
    {
        var low = (long)(ulong)hash;
        var high = (long)(ulong)(hash >> 64);
        var slots = (ulong)Slots;
        var slot = Math.BigMul((ulong)low, slots, out _);
        var stride = 1 + Math.BigMul((ulong)high, slots - 1, out _);
        for (var probe = 0; ; probe++)
        {
            var at = (long)slot * LongsPerSlot;
            if (_slots[at + 2] == 0)
            {
                found = false;
                return at;
            }

            if (_slots[at] == low && _slots[at + 1] == high)
            {
                found = true;
                return at;
            }

            slot += probe < StridedProbes ? stride : 1;
            if (slot >= slots)
            {
                slot -= slots;
            }
        }
    }
}
