using System.Buffers.Binary;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The sparse time index of one segment (<c>.timeindex</c>): entries of the segment's maximum
/// timestamp so far and the relative offset of the batch where that maximum was first reached.
/// </summary>
/// <remarks>
/// <para>On disk: 12-byte entries, <c>timestamp int64 | relativeOffset int32</c>, big-endian, both
/// strictly increasing (an entry is only added when the maximum grows). Written next to the offset
/// index entries, incrementally, by <see cref="Flush"/>.</para>
/// <para>Because an entry names the first batch that reached its timestamp, every batch before that
/// offset has an older timestamp: the first batch with a timestamp &gt;= t is at or after the offset
/// of the last entry whose timestamp &lt;= t.</para>
/// <para>Thread-safety: as <see cref="OffsetIndex"/>: one writer, concurrent readers.</para>
/// </remarks>
internal sealed class TimeIndex
{
    /// <summary>Bytes per entry on disk.</summary>
    public const int EntrySize = 12;

    private Entry[] _entries;
    private int _count;
    private int _persisted;
    private bool _fileMatches;

    private TimeIndex(Entry[] entries, int count, int persisted)
    {
        _entries = entries;
        _count = count;
        _persisted = persisted;
    }

    private readonly record struct Entry(long Timestamp, int RelativeOffset);

    /// <summary>The number of entries.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Creates an empty index.</summary>
    public static TimeIndex CreateEmpty() => new(new Entry[16], 0, 0);

    /// <summary>
    /// Loads an index file; null when missing or not strictly increasing, or when it names an offset
    /// at or beyond <paramref name="relativeEnd"/>.
    /// </summary>
    public static TimeIndex? Load(string path, long relativeEnd)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length % EntrySize != 0)
        {
            return null;
        }

        var count = bytes.Length / EntrySize;
        var entries = new Entry[Math.Max(16, count)];
        for (var i = 0; i < count; i++)
        {
            var e = new Entry(
                BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i * EntrySize)),
                BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * EntrySize + 8)));
            if (e.RelativeOffset < 0 || e.RelativeOffset >= relativeEnd ||
                (i > 0 && (e.Timestamp <= entries[i - 1].Timestamp || e.RelativeOffset <= entries[i - 1].RelativeOffset)))
            {
                return null;
            }

            entries[i] = e;
        }

        return new TimeIndex(entries, count, count) { _fileMatches = true };
    }

    /// <summary>The last entry, or null when empty.</summary>
    public (long Timestamp, int RelativeOffset)? Last
    {
        get
        {
            var count = Volatile.Read(ref _count);
            if (count == 0)
            {
                return null;
            }

            var e = Volatile.Read(ref _entries)[count - 1];
            return (e.Timestamp, e.RelativeOffset);
        }
    }

    /// <summary>Appends an entry if <paramref name="timestamp"/> is newer than the last one (writer only).</summary>
    public void MaybeAppend(long timestamp, int relativeOffset)
    {
        var last = Last;
        if (last is { } l && (timestamp <= l.Timestamp || relativeOffset <= l.RelativeOffset))
        {
            return;
        }

        var entries = _entries;
        if (_count == entries.Length)
        {
            var grown = new Entry[entries.Length * 2];
            entries.AsSpan().CopyTo(grown);
            entries = grown;
        }

        entries[_count] = new Entry(timestamp, relativeOffset);
        Volatile.Write(ref _entries, entries);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>
    /// The relative offset of the last entry whose timestamp is &lt;= <paramref name="timestamp"/>:
    /// the scan for the first batch at or after the timestamp can start there. 0 when none.
    /// </summary>
    public int Lookup(long timestamp)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Timestamp <= timestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? 0 : entries[found].RelativeOffset;
    }

    /// <summary>Writes the entries not yet on disk.</summary>
    public void Flush(string path, bool fsync)
    {
        var count = _count;
        if (_fileMatches && _persisted == count)
        {
            return;
        }

        using var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
        if (_persisted < count)
        {
            var buffer = new byte[(count - _persisted) * EntrySize];
            for (var i = _persisted; i < count; i++)
            {
                var span = buffer.AsSpan((i - _persisted) * EntrySize);
                BinaryPrimitives.WriteInt64BigEndian(span, _entries[i].Timestamp);
                BinaryPrimitives.WriteInt32BigEndian(span[8..], _entries[i].RelativeOffset);
            }

            RandomAccess.Write(handle, buffer, (long)_persisted * EntrySize);
        }

        if (RandomAccess.GetLength(handle) != (long)count * EntrySize)
        {
            RandomAccess.SetLength(handle, (long)count * EntrySize);
        }

        _persisted = count;
        _fileMatches = true;
        if (fsync)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }
}
