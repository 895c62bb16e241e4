using System.Text;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

/// <summary>Batches and hand-crafted record sections for the record batch tests.</summary>
internal static class TestBatches
{
    public static readonly CompressionType[] AllCodecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A mix of null/empty keys and values and headers.</summary>
    public static Record[] MixedRecords(long baseOffset = 0, long baseTimestamp = 1_700_000_000_000)
    {
        return
        [
            new Record(baseOffset, baseTimestamp, Bytes("key-0"), Bytes("value-0")),
            new Record(baseOffset + 1, baseTimestamp + 5, null, Bytes("no key")),
            new Record(baseOffset + 2, baseTimestamp - 3, Bytes(""), Bytes("")),
            new Record(baseOffset + 3, baseTimestamp + 1, Bytes("tombstone"), null),
            new Record(baseOffset + 4, baseTimestamp + 2, null, null),
            new Record(
                baseOffset + 5,
                baseTimestamp + 100,
                Bytes("with-headers"),
                Bytes("v"),
                [
                    new RecordHeader("trace-id", Bytes("abc")),
                    new RecordHeader("null-value", null),
                    new RecordHeader("empty-value", Array.Empty<byte>()),
                    new RecordHeader("", Bytes("empty key")),
                    new RecordHeader("ünïcødé-🔑", Bytes("x")),
                ],
                attributes: 0),
        ];
    }

    /// <summary><paramref name="count"/> records of repetitive, compressible data.</summary>
    public static Record[] RepetitiveRecords(int count, long baseOffset = 0)
    {
        var records = new Record[count];
        for (var i = 0; i < count; i++)
        {
            records[i] = new Record(
                baseOffset + i,
                1_700_000_000_000 + i,
                Bytes($"customer-{i % 10}"),
                Bytes($"{{\"event\":\"page_view\",\"page\":\"/products/{i % 7}\",\"status\":\"ok\",\"padding\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}"),
                i % 3 == 0 ? [new RecordHeader("source", Bytes("web"))] : null);
        }

        return records;
    }

    public static byte[] Write(CompressionType compression, params Record[] records) =>
        RecordBatchWriter.WriteToArray(new RecordBatchOptions { Compression = compression }, records);

    /// <summary>The uncompressed records section of <paramref name="records"/>.</summary>
    public static byte[] RecordsSection(params Record[] records) =>
        Write(CompressionType.None, records)[RecordBatchHeader.Size..];

    /// <summary>
    /// A batch around an arbitrary records section, with a correct length and CRC, so only the records
    /// section's own content can make it fail.
    /// </summary>
    public static byte[] Craft(byte[] section, int recordCount, CompressionType compression = CompressionType.None, int? lastOffsetDelta = null, long baseTimestamp = 0)
    {
        var batch = new byte[RecordBatchHeader.Size + section.Length];
        var header = new RecordBatchHeader(
            BaseOffset: 0,
            BatchLength: batch.Length - RecordBatchHeader.LogOverhead,
            PartitionLeaderEpoch: -1,
            Magic: RecordBatchHeader.CurrentMagic,
            Crc: 0,
            Attributes: (short)compression,
            LastOffsetDelta: lastOffsetDelta ?? Math.Max(recordCount - 1, 0),
            BaseTimestamp: baseTimestamp,
            MaxTimestamp: baseTimestamp,
            ProducerId: -1,
            ProducerEpoch: -1,
            BaseSequence: -1,
            RecordCount: recordCount);
        header.WriteTo(batch);
        section.CopyTo(batch, RecordBatchHeader.Size);
        RecordBatchHeader.WriteCrc(batch);
        return batch;
    }

    /// <summary>Encodes zig-zag varints, for hand-made record sections.</summary>
    public static byte[] Varints(params long[] values)
    {
        using var writer = new ProtocolWriter();
        foreach (var value in values)
        {
            writer.WriteVarlong(value);
        }

        return writer.ToArray();
    }

    /// <summary>Asserts the input is rejected with exactly <see cref="ProtocolException"/> (no other type escapes).</summary>
    public static ProtocolException AssertRejected(byte[] input, RecordBatchReaderOptions? options = null) =>
        Assert.Throws<ProtocolException>(() => RecordBatchReader.ReadAll(input, options));
}
