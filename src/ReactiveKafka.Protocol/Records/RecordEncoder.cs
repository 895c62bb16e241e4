using System.Text;

namespace ReactiveKafka.Protocol.Records;

/// <summary>Encodes records into the (uncompressed) records section of a batch.</summary>
internal static class RecordEncoder
{
    /// <summary>Writes one record, its offset and timestamp given as deltas from the batch's base values.</summary>
    public static void Write(ProtocolWriter output, in Record record, int offsetDelta, long timestampDelta)
    {
        // The length prefix comes first, so size the body before writing it rather than buffering it.
        output.WriteVarint(BodySize(record, offsetDelta, timestampDelta));
        output.WriteInt8(record.Attributes);
        output.WriteVarlong(timestampDelta);
        output.WriteVarint(offsetDelta);
        WriteNullableBytes(output, record.Key);
        WriteNullableBytes(output, record.Value);
        var headers = record.Headers;
        output.WriteVarint(headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var key = headers[i].Key ?? throw new ArgumentException("A record header key cannot be null.", nameof(record));
            output.WriteVarint(Encoding.UTF8.GetByteCount(key));
            Encoding.UTF8.GetBytes(key, output);
            WriteNullableBytes(output, headers[i].Value);
        }
    }

    private static int BodySize(in Record record, int offsetDelta, long timestampDelta)
    {
        long size = 1 + Varint.SizeOfSigned(timestampDelta) + Varint.SizeOfSigned(offsetDelta)
            + NullableBytesSize(record.Key) + NullableBytesSize(record.Value);
        var headers = record.Headers;
        size += Varint.SizeOfSigned(headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var keyBytes = Encoding.UTF8.GetByteCount(headers[i].Key ?? string.Empty);
            size += Varint.SizeOfSigned(keyBytes) + keyBytes + NullableBytesSize(headers[i].Value);
        }

        return size <= int.MaxValue
            ? (int)size
            : throw new ArgumentException($"Record of {size} bytes is too large to encode.", nameof(record));
    }

    private static int NullableBytesSize(ReadOnlyMemory<byte>? value) =>
        value is { } bytes ? Varint.SizeOfSigned(bytes.Length) + bytes.Length : 1;

    private static void WriteNullableBytes(ProtocolWriter output, ReadOnlyMemory<byte>? value)
    {
        if (value is { } bytes)
        {
            output.WriteVarint(bytes.Length);
            output.WriteRaw(bytes.Span);
        }
        else
        {
            output.WriteVarint(-1);
        }
    }
}
