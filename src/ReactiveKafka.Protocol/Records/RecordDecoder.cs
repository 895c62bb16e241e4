using System.Text;
using ReactiveKafka.Protocol.Records.Compression;

namespace ReactiveKafka.Protocol.Records;

/// <summary>Decodes the records section of a validated batch, trusting none of its lengths.</summary>
internal static class RecordDecoder
{
    /// <summary>
    /// The smallest possible record: length, attributes, timestamp delta, offset delta, key length,
    /// value length and header count, one byte each. Bounds the record count before the array is sized.
    /// </summary>
    internal const int MinRecordSize = 7;

    /// <summary>The smallest possible header: key length and value length, one byte each.</summary>
    private const int MinHeaderSize = 2;

    /// <summary>Decompresses (if needed) and decodes the records that follow <paramref name="header"/>.</summary>
    public static Record[] Decode(in RecordBatchHeader header, ReadOnlyMemory<byte> section, int maxDecompressedBytes)
    {
        var data = header.Compression == CompressionType.None || section.IsEmpty
            ? section
            : CompressionCodecs.Decompress(header.Compression, section, maxDecompressedBytes);

        var count = header.RecordCount;
        if ((long)count * MinRecordSize > data.Length)
        {
            throw new ProtocolException(
                $"Record batch at offset {header.BaseOffset} claims {count} records but its records section has only {data.Length} bytes.");
        }

        if (count == 0)
        {
            return data.IsEmpty
                ? []
                : throw new ProtocolException($"Record batch at offset {header.BaseOffset} has 0 records but {data.Length} bytes of record data.");
        }

        var records = new Record[count];
        var reader = new ProtocolReader(data);
        for (var i = 0; i < count; i++)
        {
            try
            {
                records[i] = ReadRecord(ref reader, header);
            }
            catch (ProtocolException ex)
            {
                throw new ProtocolException($"Record {i} of {count} in the batch at offset {header.BaseOffset}: {ex.Message}", ex);
            }
        }

        if (!reader.End)
        {
            throw new ProtocolException(
                $"Record batch at offset {header.BaseOffset} has {reader.Remaining} bytes after its {count} records.");
        }

        return records;
    }

    private static Record ReadRecord(ref ProtocolReader reader, in RecordBatchHeader header)
    {
        var length = reader.ReadVarint();
        if (length < 0 || length > reader.Remaining)
        {
            throw new ProtocolException($"Record length {length} is invalid with {reader.Remaining} bytes remaining.");
        }

        var body = new ProtocolReader(reader.ReadRaw(length));
        var attributes = body.ReadInt8();
        var timestampDelta = body.ReadVarlong();
        var offsetDelta = body.ReadVarint();
        var key = ReadNullableBytes(ref body, "key");
        var value = ReadNullableBytes(ref body, "value");
        var headers = ReadHeaders(ref body);
        if (!body.End)
        {
            throw new ProtocolException($"Record declared {length} bytes but its fields used {body.Position}.");
        }

        // With log-append time every record's timestamp is the batch's max timestamp (the broker's
        // append time); the per-record deltas are stale create times.
        var timestamp = header.IsLogAppendTime ? header.MaxTimestamp : header.BaseTimestamp + timestampDelta;
        return new Record(header.BaseOffset + offsetDelta, timestamp, key, value, headers, attributes);
    }

    private static ReadOnlyMemory<byte>? ReadNullableBytes(ref ProtocolReader body, string what)
    {
        var length = body.ReadVarint();
        if (length == -1)
        {
            return null;
        }

        if (length < 0 || length > body.Remaining)
        {
            throw new ProtocolException($"Record {what} length {length} is invalid with {body.Remaining} bytes remaining.");
        }

        return body.ReadRaw(length);
    }

    private static RecordHeader[]? ReadHeaders(ref ProtocolReader body)
    {
        var count = body.ReadVarint();
        if (count < 0 || (long)count * MinHeaderSize > body.Remaining)
        {
            throw new ProtocolException($"Record header count {count} is invalid with {body.Remaining} bytes remaining.");
        }

        if (count == 0)
        {
            return null;
        }

        var headers = new RecordHeader[count];
        for (var i = 0; i < count; i++)
        {
            var keyLength = body.ReadVarint();
            if (keyLength < 0 || keyLength > body.Remaining)
            {
                throw new ProtocolException($"Record header key length {keyLength} is invalid with {body.Remaining} bytes remaining.");
            }

            // Kafka decodes header keys leniently (malformed UTF-8 becomes U+FFFD); so do we.
            var headerKey = keyLength == 0 ? string.Empty : Encoding.UTF8.GetString(body.ReadRaw(keyLength).Span);
            headers[i] = new RecordHeader(headerKey, ReadNullableBytes(ref body, "header value"));
        }

        return headers;
    }
}
