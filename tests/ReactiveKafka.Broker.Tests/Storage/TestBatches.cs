using Xunit;
using System.Buffers.Binary;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Tests.Storage;

/// <summary>Builds valid RecordBatch v2 bytes (uncompressed) for storage tests.</summary>
internal static class TestBatches
{
    public static byte[] Create(int records, long timestamp = 1_000, int valueSize = 10, byte fill = 0x61)
    {
        var body = new List<byte>();
        for (var i = 0; i < records; i++)
        {
            var record = new List<byte> { 0 }; // attributes
            WriteVarlong(record, i);          // timestamp delta
            WriteVarlong(record, i);          // offset delta
            WriteVarlong(record, -1);         // null key
            WriteVarlong(record, valueSize);
            record.AddRange(Enumerable.Repeat(fill, valueSize));
            WriteVarlong(record, 0);          // no headers
            WriteVarlong(body, record.Count);
            body.AddRange(record);
        }

        var batch = new byte[RecordBatchHeader.Size + body.Count];
        var span = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, 0);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], 0);
        span[16] = 2;
        BinaryPrimitives.WriteInt16BigEndian(span[21..], 0);
        BinaryPrimitives.WriteInt32BigEndian(span[23..], records - 1);
        BinaryPrimitives.WriteInt64BigEndian(span[27..], timestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[35..], timestamp + records - 1);
        BinaryPrimitives.WriteInt64BigEndian(span[43..], -1);
        BinaryPrimitives.WriteInt16BigEndian(span[51..], -1);
        BinaryPrimitives.WriteInt32BigEndian(span[53..], -1);
        BinaryPrimitives.WriteInt32BigEndian(span[57..], records);
        body.CopyTo(batch, RecordBatchHeader.Size);
        BinaryPrimitives.WriteUInt32BigEndian(span[17..], Crc32C.Compute(span[RecordBatchHeader.AttributesOffset..]));
        return batch;
    }

    /// <summary>The headers of the batches in <paramref name="data"/>, each validated.</summary>
    public static List<RecordBatchHeader> Parse(ReadOnlySpan<byte> data)
    {
        var result = new List<RecordBatchHeader>();
        while (!data.IsEmpty)
        {
            RecordBatchHeader.TryRead(data, out var header);
            var error = RecordBatchHeader.Validate(data[..header.TotalSize], out header);
            Assert.Null(error);
            result.Add(header);
            data = data[header.TotalSize..];
        }

        return result;
    }

    private static void WriteVarlong(List<byte> output, long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            output.Add((byte)(v | 0x80));
            v >>= 7;
        }

        output.Add((byte)v);
    }
}
