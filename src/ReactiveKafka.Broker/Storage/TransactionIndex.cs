using System.Buffers.Binary;

namespace ReactiveKafka.Broker.Storage;

/// <summary>An aborted transaction as the index keeps it (Kafka's <c>AbortedTxn</c>).</summary>
/// <param name="ProducerId">The producer whose transaction was aborted.</param>
/// <param name="FirstOffset">The offset of the transaction's first batch in the partition.</param>
/// <param name="LastOffset">The offset of its ABORT marker.</param>
/// <param name="LastStableOffset">The last stable offset once the marker was written.</param>
internal readonly record struct AbortedTxn(long ProducerId, long FirstOffset, long LastOffset, long LastStableOffset);

/// <summary>
/// A segment's aborted-transaction index (<c>.txnindex</c>, Kafka's <c>TransactionIndex</c>): one entry per ABORT marker
/// in the segment, in offset order, so that a read_committed fetch can list the aborted transactions of the range it
/// returns without reading the records.
/// </summary>
/// <remarks>
/// <para>On disk: entries of <see cref="EntrySize"/> bytes back to back, Kafka's layout: version int16 (0) | producer id
/// int64 | first offset int64 | last offset int64 | last stable offset int64. Written through at each abort (markers
/// are rare), fsync'd with the segment's indexes. A torn last entry is dropped at load; entries past the segment's
/// recovered end are cut by the log's producer state rebuild, which then re-adds the aborts it replays.</para>
/// <para>Thread-safety: one writer (the log's write lock); readers take the immutable array <see cref="Entries"/>.</para>
/// </remarks>
internal sealed class TransactionIndex
{
    /// <summary>The size of one entry.</summary>
    public const int EntrySize = 34;

    private const short Version = 0;

    private volatile AbortedTxn[] _entries = [];
    private bool _dirty;

    /// <summary>The entries, oldest first.</summary>
    public IReadOnlyList<AbortedTxn> Entries => _entries;

    /// <summary>The last offset of the last entry, or -1.</summary>
    public long LastOffset => _entries is [.., var last] ? last.LastOffset : -1;

    /// <summary>Loads the index at <paramref name="path"/>; an absent file is empty, a torn last entry is dropped.</summary>
    public static TransactionIndex Load(string path)
    {
        var index = new TransactionIndex();
        if (!File.Exists(path))
        {
            return index;
        }

        var bytes = File.ReadAllBytes(path);
        var entries = new List<AbortedTxn>(bytes.Length / EntrySize);
        for (var at = 0; at + EntrySize <= bytes.Length; at += EntrySize)
        {
            var span = bytes.AsSpan(at, EntrySize);
            if (BinaryPrimitives.ReadInt16BigEndian(span) != Version)
            {
                break; // Garbage from here on: the rebuild re-adds what the log holds.
            }

            entries.Add(new AbortedTxn(
                BinaryPrimitives.ReadInt64BigEndian(span[2..]),
                BinaryPrimitives.ReadInt64BigEndian(span[10..]),
                BinaryPrimitives.ReadInt64BigEndian(span[18..]),
                BinaryPrimitives.ReadInt64BigEndian(span[26..])));
        }

        index._entries = [.. entries];
        index._dirty = entries.Count * EntrySize != bytes.Length;
        return index;
    }

    /// <summary>Adds an entry and writes it through to <paramref name="path"/> (writer only).</summary>
    public void Append(string path, in AbortedTxn entry)
    {
        if (entry.LastOffset <= LastOffset)
        {
            return; // Already indexed (a rebuild replays markers the index may hold).
        }

        if (_dirty)
        {
            _entries = [.. _entries, entry];
            Rewrite(path);
            return;
        }

        Span<byte> buffer = stackalloc byte[EntrySize];
        Encode(entry, buffer);
        using (var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete))
        {
            RandomAccess.Write(handle, buffer, (long)_entries.Length * EntrySize);
        }

        _entries = [.. _entries, entry];
        _needsSync = true;
    }

    /// <summary>Drops the entries whose marker is at or after <paramref name="offset"/> (writer only), rewriting the file if any went.</summary>
    public void TruncateFrom(string path, long offset)
    {
        var kept = _entries.Where(e => e.LastOffset < offset).ToArray();
        if (kept.Length != _entries.Length || _dirty)
        {
            _entries = kept;
            Rewrite(path);
        }
    }

    /// <summary>Adds to <paramref name="into"/> the entries whose transaction overlaps [<paramref name="from"/>, <paramref name="upperExclusive"/>).</summary>
    public void Collect(long from, long upperExclusive, List<AbortedTxn> into)
    {
        foreach (var entry in _entries)
        {
            if (entry.LastOffset >= from && entry.FirstOffset < upperExclusive)
            {
                into.Add(entry);
            }
        }
    }

    /// <summary>fsyncs the file if entries were written since the last call.</summary>
    public void Flush(string path, bool fsync)
    {
        if (!_needsSync || !fsync || !File.Exists(path))
        {
            return;
        }

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
        _needsSync = false;
    }

    private bool _needsSync;

    private void Rewrite(string path)
    {
        var entries = _entries;
        if (entries.Length == 0)
        {
            File.Delete(path);
        }
        else
        {
            var bytes = new byte[entries.Length * EntrySize];
            for (var i = 0; i < entries.Length; i++)
            {
                Encode(entries[i], bytes.AsSpan(i * EntrySize, EntrySize));
            }

            DurableFile.WriteAllBytes(path, bytes);
        }

        _dirty = false;
        _needsSync = false;
    }

    private static void Encode(in AbortedTxn entry, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, Version);
        BinaryPrimitives.WriteInt64BigEndian(destination[2..], entry.ProducerId);
        BinaryPrimitives.WriteInt64BigEndian(destination[10..], entry.FirstOffset);
        BinaryPrimitives.WriteInt64BigEndian(destination[18..], entry.LastOffset);
        BinaryPrimitives.WriteInt64BigEndian(destination[26..], entry.LastStableOffset);
    }
}
