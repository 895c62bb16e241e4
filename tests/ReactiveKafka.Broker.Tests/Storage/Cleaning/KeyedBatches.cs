using System.Text;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

/// <summary>Keyed record batches for the cleaner tests, and reading a log back record by record.</summary>
internal static class KeyedBatches
{
    /// <summary>One batch of (key, value) records, offsets from 0 (the log assigns the real ones); a null value is a tombstone.</summary>
    public static byte[] Create(IEnumerable<(string? Key, string? Value)> records, long timestamp = 1_000, RecordBatchOptions? options = null)
    {
        var list = records.Select((r, i) => new Record(i, timestamp + i, Memory(r.Key), Memory(r.Value))).ToArray();
        return RecordBatchWriter.WriteToArray(options ?? RecordBatchOptions.Default, list);
    }

    public static byte[] One(string? key, string? value, long timestamp = 1_000, RecordBatchOptions? options = null) =>
        Create([(key, value)], timestamp, options);

    public static byte[]? Bytes(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    /// <summary>The text as record bytes; null stays null (a null byte[] would convert to empty memory, not null).</summary>
    public static ReadOnlyMemory<byte>? Memory(string? text) => text is null ? null : (ReadOnlyMemory<byte>?)Encoding.UTF8.GetBytes(text);

    /// <summary>The base offset of the active segment.</summary>
    public static long ActiveBase(PartitionLog log)
    {
        using var view = log.AcquireForCleaning();
        return view.Segments[^1].BaseOffset;
    }

    public static string? Text(ReadOnlyMemory<byte>? bytes) => bytes is { } b ? Encoding.UTF8.GetString(b.Span) : null;

    /// <summary>Every record from the log start to the high watermark, and the batch headers it came in.</summary>
    public static (List<(long Offset, string? Key, string? Value)> Records, List<RecordBatchHeader> Batches) ReadAll(PartitionLog log, long from = -1)
    {
        var records = new List<(long, string?, string?)>();
        var batches = new List<RecordBatchHeader>();
        var offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.HighWatermark)
        {
            using var read = log.Read(offset, 1 << 20, log.HighWatermark);
            Assert.Equal(ErrorCode.None, read.Error);
            if (read.Length == 0)
            {
                break;
            }

            foreach (var batch in RecordBatchReader.ReadAll(read.Records))
            {
                batches.Add(batch.Header);
                records.AddRange(batch.Records.Where(r => r.Offset >= offset).Select(r => (r.Offset, Text(r.Key), Text(r.Value))));
                offset = batch.LastOffset + 1;
            }
        }

        return (records, batches);
    }
}
