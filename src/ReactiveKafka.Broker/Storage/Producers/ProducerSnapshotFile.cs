using System.Buffers.Binary;
using System.Globalization;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Producers;

/// <summary>
/// Producer state snapshots (<c>&lt;20-digit offset&gt;.snapshot</c> in the partition directory, as Kafka names them):
/// every producer's state as of that offset, so that opening the log replays only the batches after the latest
/// snapshot, not the whole log.
/// </summary>
/// <remarks>
/// <para>Written at each segment roll (at the new segment's base offset) and at a clean shutdown (at the log end), with
/// <see cref="DurableFile"/> (temp, fsync, rename): a snapshot is whole or absent. Format: version int16 (1) | CRC-32C
/// uint32 of what follows | producer count int32 | per producer: id int64, epoch int16, coordinator epoch int32,
/// last timestamp int64, ongoing transaction's first offset int64 (-1 none), batch count int8, per batch: first
/// sequence int32, last sequence int32, first offset int64, last offset int64, timestamp int64. Unlike Kafka's (which
/// keeps the last batch only) all remembered batches are kept, so a retry of any of the last 5 is still recognised
/// after a restart.</para>
/// <para>A snapshot that fails its CRC or is past the recovered log end is deleted and an older one (or the whole log)
/// used instead. Stateless.</para>
/// </remarks>
internal static class ProducerSnapshotFile
{
    /// <summary>The file name extension.</summary>
    public const string Extension = ".snapshot";

    /// <summary>How many snapshots a partition keeps (the newest).</summary>
    public const int Retained = 2;

    private const short Version = 1;
    private const int HeaderSize = 2 + 4;
    private const int EntryFixedSize = 8 + 2 + 4 + 8 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8 + 8;

    /// <summary>The path of the snapshot at <paramref name="offset"/>.</summary>
    public static string PathOf(string directory, long offset) =>
        Path.Combine(directory, LogSegment.FileStem(offset) + Extension);

    /// <summary>The snapshots in <paramref name="directory"/>, by offset ascending.</summary>
    public static IReadOnlyList<(long Offset, string Path)> List(string directory) =>
        [.. System.IO.Directory.EnumerateFiles(directory, "*" + Extension)
            .Select(f => (Ok: LogSegment.TryParseStem(Path.GetFileNameWithoutExtension(f), out var o), Offset: o, Path: f))
            .Where(t => t.Ok)
            .Select(t => (t.Offset, t.Path))
            .OrderBy(t => t.Offset)];

    /// <summary>Writes the snapshot of <paramref name="entries"/> at <paramref name="offset"/>, then deletes all but the newest <see cref="Retained"/>.</summary>
    public static void Write(string directory, long offset, IReadOnlyCollection<ProducerStateEntry> entries)
    {
        var size = HeaderSize + 4 + entries.Sum(e => EntryFixedSize + (e.BatchCount * BatchSize));
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, Version);
        var at = HeaderSize;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], entries.Count);
        at += 4;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[at..], entry.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span[(at + 8)..], entry.Epoch);
            BinaryPrimitives.WriteInt32BigEndian(span[(at + 10)..], entry.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 14)..], entry.LastTimestamp);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 22)..], entry.CurrentTxnFirstOffset ?? -1);
            span[at + 30] = (byte)entry.BatchCount;
            at += EntryFixedSize;
            foreach (var batch in entry.Batches())
            {
                BinaryPrimitives.WriteInt32BigEndian(span[at..], batch.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 8)..], batch.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 16)..], batch.LastOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 24)..], batch.Timestamp);
                at += BatchSize;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[2..], Crc32C.Compute(span[HeaderSize..]));
        DurableFile.WriteAllBytes(PathOf(directory, offset), bytes);
        var all = List(directory);
        for (var i = 0; i < all.Count - Retained; i++)
        {
            File.Delete(all[i].Path);
        }
    }

    /// <summary>Reads a snapshot; null when it is damaged (wrong version, CRC or framing).</summary>
    public static List<ProducerStateEntry>? Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null;
        }

        var span = bytes.AsSpan();
        if (span.Length < HeaderSize + 4 || BinaryPrimitives.ReadInt16BigEndian(span) != Version ||
            BinaryPrimitives.ReadUInt32BigEndian(span[2..]) != Crc32C.Compute(span[HeaderSize..]))
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(span[HeaderSize..]);
        var at = HeaderSize + 4;
        var entries = new List<ProducerStateEntry>(Math.Max(0, Math.Min(count, span.Length / EntryFixedSize)));
        for (var i = 0; i < count; i++)
        {
            if (at + EntryFixedSize > span.Length)
            {
                return null;
            }

            var entry = new ProducerStateEntry(BinaryPrimitives.ReadInt64BigEndian(span[at..]))
            {
                CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(span[(at + 10)..]),
            };
            var epoch = BinaryPrimitives.ReadInt16BigEndian(span[(at + 8)..]);
            entry.UpdateEpoch(epoch);
            var lastTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[(at + 14)..]);
            var txnFirst = BinaryPrimitives.ReadInt64BigEndian(span[(at + 22)..]);
            int batches = span[at + 30];
            at += EntryFixedSize;
            if (batches > ProducerStateEntry.BatchesRetained || at + (batches * BatchSize) > span.Length)
            {
                return null;
            }

            for (var b = 0; b < batches; b++)
            {
                entry.AddBatch(epoch, new BatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(span[at..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(at + 4)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(at + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(at + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(at + 24)..])));
                at += BatchSize;
            }

            entry.LastTimestamp = lastTimestamp;
            entry.CurrentTxnFirstOffset = txnFirst >= 0 ? txnFirst : null;
            entries.Add(entry);
        }

        return at == span.Length ? entries : null;
    }

    /// <summary>The file name of the snapshot at <paramref name="offset"/> (for messages).</summary>
    public static string NameOf(long offset) => LogSegment.FileStem(offset).ToString(CultureInfo.InvariantCulture) + Extension;
}
