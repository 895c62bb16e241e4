using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ReactiveKafka.Protocol;

/// <summary>
/// Reads Kafka's primitive types from a buffer, big-endian, never trusting a length: every length is
/// checked against the bytes that remain before anything is sliced or allocated, and a violation
/// throws <see cref="ProtocolException"/>. <c>bytes</c> and <c>records</c> fields are returned as
/// slices of the underlying buffer (no copy), so they live as long as that buffer.
/// </summary>
/// <remarks>A mutable struct: pass it by <c>ref</c>.</remarks>
public struct ProtocolReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private int _position;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    public ProtocolReader(ReadOnlyMemory<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>The number of bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>The number of bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>Whether every byte has been consumed.</summary>
    public readonly bool End => _position == _buffer.Length;

    private readonly ReadOnlySpan<byte> Rest => _buffer.Span[_position..];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ThrowTruncated(count);
        }

        var span = _buffer.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly void ThrowTruncated(int count) =>
        throw new ProtocolException($"Truncated input: needed {count} bytes at position {_position}, {Remaining} remain.");

    /// <summary>Reads an <c>int8</c>.</summary>
    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    /// <summary>Reads a <c>boolean</c> (any non-zero byte is true).</summary>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Reads an <c>int16</c>.</summary>
    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    /// <summary>Reads a <c>uint16</c>.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    /// <summary>Reads an <c>int32</c>.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    /// <summary>Reads a <c>uint32</c>.</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    /// <summary>Reads an <c>int64</c>.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    /// <summary>Reads a <c>float64</c>.</summary>
    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Reads a <c>uuid</c> (16 bytes, big-endian, as Kafka's Uuid).</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>Reads an <c>UNSIGNED_VARINT</c>.</summary>
    public uint ReadUnsignedVarint()
    {
        if (!Varint.TryReadUnsigned(Rest, out uint value, out var read))
        {
            throw new ProtocolException($"Truncated varint at position {_position}.");
        }

        _position += read;
        return value;
    }

    /// <summary>Reads a zig-zag <c>VARINT</c>.</summary>
    public int ReadVarint() => Varint.UnZigZag(ReadUnsignedVarint());

    /// <summary>Reads a zig-zag <c>VARLONG</c>.</summary>
    public long ReadVarlong()
    {
        if (!Varint.TryReadUnsigned(Rest, out ulong value, out var read))
        {
            throw new ProtocolException($"Truncated varlong at position {_position}.");
        }

        _position += read;
        return Varint.UnZigZag(value);
    }

    /// <summary>Reads the length of a compact field: the unsigned varint minus one, -1 meaning null.</summary>
    public int ReadCompactLength()
    {
        var raw = ReadUnsignedVarint();
        if (raw > int.MaxValue)
        {
            throw new ProtocolException($"Compact length {raw} is out of range at position {_position}.");
        }

        return (int)raw - 1;
    }

    /// <summary>Reads a <c>STRING</c> or <c>COMPACT_STRING</c>; null is rejected.</summary>
    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new ProtocolException($"Null value for a non-nullable string at position {_position}.");

    /// <summary>Reads a <c>NULLABLE_STRING</c> or <c>COMPACT_NULLABLE_STRING</c>.</summary>
    public string? ReadNullableString(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt16();
        if (length < 0)
        {
            if (length != -1)
            {
                throw new ProtocolException($"Negative string length {length} at position {_position}.");
            }

            return null;
        }

        return length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Reads <c>BYTES</c> or <c>COMPACT_BYTES</c> as a slice of the buffer; null is rejected.</summary>
    public ReadOnlyMemory<byte> ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new ProtocolException($"Null value for non-nullable bytes at position {_position}.");

    /// <summary>Reads <c>NULLABLE_BYTES</c> or <c>COMPACT_NULLABLE_BYTES</c> as a slice of the buffer.</summary>
    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt32();
        if (length < 0)
        {
            if (length != -1)
            {
                throw new ProtocolException($"Negative bytes length {length} at position {_position}.");
            }

            return null;
        }

        return ReadRaw(length);
    }

    /// <summary>Reads <paramref name="count"/> bytes as a slice of the buffer.</summary>
    public ReadOnlyMemory<byte> ReadRaw(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ThrowTruncated(count);
        }

        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>
    /// Reads an array length (<c>int32</c>, or a compact unsigned varint plus one); -1 means null.
    /// The count is checked against the remaining bytes, assuming every element takes at least
    /// <paramref name="minElementSize"/> bytes, so a hostile count cannot size an allocation.
    /// </summary>
    public int ReadArrayLength(bool compact, int minElementSize = 1)
    {
        var count = compact ? ReadCompactLength() : ReadInt32();
        if (count < -1)
        {
            throw new ProtocolException($"Negative array length {count} at position {_position}.");
        }

        if (count > 0 && (long)count * Math.Max(minElementSize, 0) > Remaining)
        {
            throw new ProtocolException($"Array length {count} exceeds the {Remaining} bytes that remain at position {_position}.");
        }

        return count;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count) => Take(count);

    /// <summary>Reads the number of fields in a tagged-field section.</summary>
    public int ReadTaggedFieldCount()
    {
        var count = ReadUnsignedVarint();
        if (count > (uint)Remaining)
        {
            throw new ProtocolException($"Tagged field count {count} exceeds the {Remaining} bytes that remain at position {_position}.");
        }

        return (int)count;
    }

    /// <summary>Reads one tagged field's tag and size; the size is checked against the remaining bytes.</summary>
    public (uint Tag, int Size) ReadTaggedFieldHeader()
    {
        var tag = ReadUnsignedVarint();
        var size = ReadUnsignedVarint();
        if (size > (uint)Remaining)
        {
            throw new ProtocolException($"Tagged field {tag} of {size} bytes exceeds the {Remaining} bytes that remain at position {_position}.");
        }

        return (tag, (int)size);
    }

    /// <summary>
    /// Reads a whole tagged-field section of a structure that knows no tags at this version: every field is kept
    /// as unknown, so that it survives a write. Returns null when the section is empty.
    /// </summary>
    public List<RawTaggedField>? ReadUnknownTaggedFields()
    {
        List<RawTaggedField>? unknown = null;
        var count = ReadTaggedFieldCount();
        for (var i = 0; i < count; i++)
        {
            var (tag, size) = ReadTaggedFieldHeader();
            ReadUnknownTaggedField(tag, size, ref unknown);
        }

        return unknown;
    }

    /// <summary>Keeps a tagged field the caller does not know, so that it survives a write.</summary>
    public void ReadUnknownTaggedField(uint tag, int size, ref List<RawTaggedField>? unknown) =>
        (unknown ??= new List<RawTaggedField>()).Add(new RawTaggedField(tag, Take(size).ToArray()));

    /// <summary>Throws unless exactly <paramref name="size"/> bytes were consumed since <paramref name="start"/>.</summary>
    public readonly void EnsureTaggedFieldConsumed(uint tag, int start, int size)
    {
        if (_position - start != size)
        {
            throw new ProtocolException($"Tagged field {tag} declared {size} bytes but its value used {_position - start}.");
        }
    }
}
