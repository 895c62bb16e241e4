using System.Buffers.Binary;

namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// A transaction marker: the single record of a control batch that ends a transaction.
/// Key: version int16 | type int16. Value: version int16 | coordinatorEpoch int32.
/// </summary>
/// <param name="Type">Whether the transaction was committed or aborted.</param>
/// <param name="CoordinatorEpoch">The epoch of the transaction coordinator that wrote the marker.</param>
public readonly record struct ControlRecord(ControlRecordType Type, int CoordinatorEpoch)
{
    /// <summary>The key and value version written (and the only one Kafka has defined).</summary>
    public const short CurrentVersion = 0;

    /// <summary>The size of the key: version and type.</summary>
    public const int KeySize = 4;

    /// <summary>The size of the value: version and coordinator epoch.</summary>
    public const int ValueSize = 6;

    /// <summary>
    /// Reads the type from a control record key. Newer key versions are accepted (they only append
    /// fields, as Kafka's own reader assumes); a short key or a negative version is malformed.
    /// </summary>
    public static ControlRecordType ReadType(ReadOnlySpan<byte> key)
    {
        if (key.Length < KeySize)
        {
            throw new ProtocolException($"Control record key of {key.Length} bytes is shorter than {KeySize}.");
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(key);
        if (version < 0)
        {
            throw new ProtocolException($"Control record key has a negative version {version}.");
        }

        return (ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(key[2..]);
    }

    /// <summary>Parses the marker from a control batch's record; throws <see cref="ProtocolException"/> when malformed.</summary>
    public static ControlRecord Parse(in Record record)
    {
        var key = record.Key ?? throw new ProtocolException("Control record has a null key.");
        var value = record.Value ?? throw new ProtocolException("Transaction marker has a null value.");
        var type = ReadType(key.Span);
        var span = value.Span;
        if (span.Length < ValueSize)
        {
            throw new ProtocolException($"Transaction marker value of {span.Length} bytes is shorter than {ValueSize}.");
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(span);
        if (version < 0)
        {
            throw new ProtocolException($"Transaction marker value has a negative version {version}.");
        }

        return new ControlRecord(type, BinaryPrimitives.ReadInt32BigEndian(span[2..]));
    }

    /// <summary>Encodes the key: version 0 and the type.</summary>
    public byte[] EncodeKey()
    {
        var key = new byte[KeySize];
        BinaryPrimitives.WriteInt16BigEndian(key, CurrentVersion);
        BinaryPrimitives.WriteInt16BigEndian(key.AsSpan(2), (short)Type);
        return key;
    }

    /// <summary>Encodes the value: version 0 and the coordinator epoch.</summary>
    public byte[] EncodeValue()
    {
        var value = new byte[ValueSize];
        BinaryPrimitives.WriteInt16BigEndian(value, CurrentVersion);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(2), CoordinatorEpoch);
        return value;
    }

    /// <summary>The marker as a record at <paramref name="offset"/>, for <see cref="RecordBatchWriter"/>.</summary>
    public Record ToRecord(long offset, long timestamp) => new(offset, timestamp, EncodeKey(), EncodeValue());
}
