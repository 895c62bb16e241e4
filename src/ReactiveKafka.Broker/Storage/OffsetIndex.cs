using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The sparse offset index of one segment (<c>.index</c>): maps a relative offset to the file
/// position of the batch that starts there, one entry every <see cref="LogConfig.IndexIntervalBytes"/>.
/// </summary>
/// <remarks>
/// <para>On disk: a sequence of 8-byte entries, <c>relativeOffset int32 | position int32</c>,
/// big-endian, both strictly increasing. The file is written incrementally by <see cref="Flush"/>
/// and is only trusted below the recovery point; beyond it the index is rebuilt from the log.</para>
/// <para>Thread-safety: one writer (the log's append lock) and any number of concurrent readers.
/// Entries live in a packed <c>long[]</c> that only grows; the writer stores the entry, then
/// publishes the array, then the count, so a reader that reads the count first then the array
/// always sees complete entries.</para>
/// </remarks>
internal sealed class OffsetIndex
{
    /// <summary>Bytes per entry on disk.</summary>
    public const int EntrySize = 8;

    private long[] _entries;
    private int _count;
    private int _persisted;
    private bool _fileMatches;

    private OffsetIndex(long[] entries, int count, int persisted)
    {
        _entries = entries;
        _count = count;
        _persisted = persisted;
    }

    /// <summary>The number of entries.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Creates an empty index (nothing persisted yet).</summary>
    public static OffsetIndex CreateEmpty() => new(new long[16], 0, 0);

    /// <summary>
    /// Loads an index file. Returns null when it is missing or not a whole number of strictly
    /// increasing entries below <paramref name="logSize"/>; the caller then rebuilds it.
    /// </summary>
    public static OffsetIndex? Load(string path, long logSize)
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
        var entries = new long[Math.Max(16, count)];
        long previous = -1;
        for (var i = 0; i < count; i++)
        {
            var relative = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * EntrySize));
            var position = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * EntrySize + 4));
            var packed = Pack(relative, position);
            if (relative < 0 || position < 0 || position >= logSize ||
                (i > 0 && (relative <= Relative(previous) || position <= Position(previous))))
            {
                return null;
            }

            entries[i] = previous = packed;
        }

        return new OffsetIndex(entries, count, count) { _fileMatches = true };
    }

    /// <summary>The last entry, or null when empty.</summary>
    public (int RelativeOffset, int Position)? Last
    {
        get
        {
            var count = Volatile.Read(ref _count);
            if (count == 0)
            {
                return null;
            }

            var e = Volatile.Read(ref _entries)[count - 1];
            return (Relative(e), Position(e));
        }
    }

    /// <summary>Appends an entry (writer only). Offsets and positions must increase.</summary>
    public void Append(int relativeOffset, int position)
    {
        var entries = _entries;
        if (_count == entries.Length)
        {
            var grown = new long[entries.Length * 2];
            entries.AsSpan().CopyTo(grown);
            entries = grown;
        }

        entries[_count] = Pack(relativeOffset, position);
        Volatile.Write(ref _entries, entries);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>
    /// The entry with the largest relative offset &lt;= <paramref name="relativeOffset"/>, or
    /// (0, 0) — the segment start — when there is none.
    /// </summary>
    public (int RelativeOffset, int Position) Lookup(long relativeOffset)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Relative(entries[mid]) <= relativeOffset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? (0, 0) : (Relative(entries[found]), Position(entries[found]));
    }

    /// <summary>Writes the entries not yet on disk (writer only, or after the writer stopped).</summary>
    public void Flush(string path, bool fsync)
    {
        var count = _count;
        if (_fileMatches && _persisted == count)
        {
            return;
        }

        using var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
        WriteTail(handle, count);
        if (fsync)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    private void WriteTail(SafeFileHandle handle, int count)
    {
        if (_persisted < count)
        {
            var buffer = new byte[(count - _persisted) * EntrySize];
            for (var i = _persisted; i < count; i++)
            {
                var span = buffer.AsSpan((i - _persisted) * EntrySize);
                BinaryPrimitives.WriteInt32BigEndian(span, Relative(_entries[i]));
                BinaryPrimitives.WriteInt32BigEndian(span[4..], Position(_entries[i]));
            }

            RandomAccess.Write(handle, buffer, (long)_persisted * EntrySize);
        }

        // A rebuilt index may be shorter than a stale file: drop the stale tail.
        if (RandomAccess.GetLength(handle) != (long)count * EntrySize)
        {
            RandomAccess.SetLength(handle, (long)count * EntrySize);
        }

        _persisted = count;
        _fileMatches = true;
    }

    private static long Pack(int relative, int position) => ((long)relative << 32) | (uint)position;

    private static int Relative(long packed) => (int)(packed >> 32);

    private static int Position(long packed) => (int)packed;
}
