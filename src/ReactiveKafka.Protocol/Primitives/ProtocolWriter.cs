using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ReactiveKafka.Protocol;

/// <summary>
/// Writes Kafka's primitive types, big-endian, into a growable buffer rented from
/// <see cref="ArrayPool{T}.Shared"/>. Dispose it to return the buffer. Positions can be reserved and
/// patched later, which is how frame and batch length prefixes are written without a sizing pass.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class ProtocolWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _position;
    private List<ExternalSegment>? _external;

    /// <summary>Creates a writer with at least <paramref name="initialCapacity"/> bytes of room.</summary>
    public ProtocolWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 16));
    }

    /// <summary>The number of bytes written.</summary>
    public int Length => _position;

    /// <summary>The bytes written so far; valid until the next write or <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    /// <summary>The bytes written so far; valid until the next write or <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    /// <summary>Copies the bytes written into a new array.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets everything written, keeping the buffer.</summary>
    public void Reset()
    {
        _position = 0;
        _external?.Clear();
        ExternalLength = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _position < count)
        {
            Grow(count);
        }

        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private void Grow(int count)
    {
        var needed = (long)_position + count;
        var size = Math.Max(needed, (long)_buffer.Length * 2);
        if (size > Array.MaxLength)
        {
            size = needed <= Array.MaxLength ? Array.MaxLength : throw new InvalidOperationException("ProtocolWriter cannot grow beyond Array.MaxLength.");
        }

        var bigger = ArrayPool<byte>.Shared.Rent((int)size);
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    /// <inheritdoc />
    public void Advance(int count) => _position += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_buffer.Length - _position < Math.Max(sizeHint, 1))
        {
            Grow(Math.Max(sizeHint, 1));
        }

        return _buffer.AsMemory(_position);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Reserves <paramref name="count"/> bytes to be filled in later; returns their position.</summary>
    public int ReserveAt(int count)
    {
        var at = _position;
        Reserve(count);
        return at;
    }

    /// <summary>Overwrites an <c>int32</c> at a position reserved earlier.</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(position, 4), value);

    /// <summary>Overwrites a <c>uint32</c> at a position reserved earlier.</summary>
    public void PatchUInt32(int position, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(position, 4), value);

    /// <summary>The span of bytes written between two positions, for checksums over a region.</summary>
    public Span<byte> GetWrittenSpan(int start, int length) => _buffer.AsSpan(start, length);

    /// <summary>Writes an <c>int8</c>.</summary>
    public void WriteInt8(sbyte value) => Reserve(1)[0] = (byte)value;

    /// <summary>Writes a <c>boolean</c>.</summary>
    public void WriteBoolean(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>Writes an <c>int16</c>.</summary>
    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Reserve(2), value);

    /// <summary>Writes a <c>uint16</c>.</summary>
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    /// <summary>Writes an <c>int32</c>.</summary>
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    /// <summary>Writes a <c>uint32</c>.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    /// <summary>Writes an <c>int64</c>.</summary>
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    /// <summary>Writes a <c>float64</c>.</summary>
    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Reserve(8), value);

    /// <summary>Writes a <c>uuid</c> (16 bytes, big-endian).</summary>
    public void WriteUuid(Guid value) => value.TryWriteBytes(Reserve(16), bigEndian: true, out _);

    /// <summary>Writes an <c>UNSIGNED_VARINT</c>.</summary>
    public void WriteUnsignedVarint(uint value)
    {
        var span = Reserve(Varint.SizeOfUnsigned(value));
        Varint.WriteUnsigned(span, value);
    }

    /// <summary>Writes a zig-zag <c>VARINT</c>.</summary>
    public void WriteVarint(int value) => WriteUnsignedVarint(Varint.ZigZag(value));

    /// <summary>Writes a zig-zag <c>VARLONG</c>.</summary>
    public void WriteVarlong(long value)
    {
        var zigZag = Varint.ZigZag(value);
        var span = Reserve(Varint.SizeOfUnsigned(zigZag));
        Varint.WriteUnsigned(span, zigZag);
    }

    /// <summary>Writes the length of a compact field (length + 1; null as 0).</summary>
    public void WriteCompactLength(int length) => WriteUnsignedVarint((uint)(length + 1));

    /// <summary>Writes a <c>STRING</c>, <c>NULLABLE_STRING</c> or their compact forms; null writes the null marker.</summary>
    public void WriteString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact)
            {
                WriteUnsignedVarint(0);
            }
            else
            {
                WriteInt16(-1);
            }

            return;
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteCompactLength(byteCount);
        }
        else
        {
            if (byteCount > short.MaxValue)
            {
                throw new ArgumentException($"String of {byteCount} UTF-8 bytes is longer than a Kafka STRING allows ({short.MaxValue}).", nameof(value));
            }

            WriteInt16((short)byteCount);
        }

        Encoding.UTF8.GetBytes(value, Reserve(byteCount));
    }

    /// <summary>Writes <c>BYTES</c>, <c>NULLABLE_BYTES</c> or their compact forms; null writes the null marker.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value, bool isNull, bool compact)
    {
        if (isNull)
        {
            if (compact)
            {
                WriteUnsignedVarint(0);
            }
            else
            {
                WriteInt32(-1);
            }

            return;
        }

        WriteBytesLength(value.Length, compact);
        WriteRaw(value);
    }

    /// <summary>
    /// Writes nullable bytes. With <see cref="DeferExternalBytes"/>, bytes backed by <see cref="ExternalBytes"/> are
    /// not copied: their length is written and the bytes are listed in <see cref="ExternalSegments"/>, to be written
    /// after <see cref="WrittenSpan"/>'s bytes before their position.
    /// </summary>
    public void WriteBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (DeferExternalBytes && value is { } memory
            && MemoryMarshal.TryGetMemoryManager(memory, out ExternalBytes? external, out var start, out var length)
            && start == 0 && length == external.Length)
        {
            WriteBytesLength(length, compact);
            (_external ??= []).Add(new ExternalSegment(_position, external));
            ExternalLength += length;
            return;
        }

        WriteBytes(value.HasValue ? value.Value.Span : default, !value.HasValue, compact);
    }

    private void WriteBytesLength(int length, bool compact)
    {
        if (compact)
        {
            WriteCompactLength(length);
        }
        else
        {
            WriteInt32(length);
        }
    }

    /// <summary>
    /// Whether <see cref="ExternalBytes"/> are deferred rather than copied (see <see cref="WriteBytes(ReadOnlyMemory{byte}?, bool)"/>).
    /// Off by default: then the writer's bytes are the whole message.
    /// </summary>
    public bool DeferExternalBytes { get; set; }

    /// <summary>The deferred bytes, in order, each with the position in <see cref="WrittenSpan"/> where it belongs.</summary>
    public IReadOnlyList<ExternalSegment> ExternalSegments => (IReadOnlyList<ExternalSegment>?)_external ?? [];

    /// <summary>The total length of <see cref="ExternalSegments"/>: the message is <see cref="Length"/> plus this.</summary>
    public long ExternalLength { get; private set; }

    /// <summary>Writes an array length; -1 is null.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
        {
            WriteCompactLength(count);
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>Writes raw bytes.</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => value.CopyTo(Reserve(value.Length));

    /// <summary>
    /// Writes a whole tagged-field section holding only <paramref name="unknown"/> (the count, then each field);
    /// an empty section when null.
    /// </summary>
    public void WriteTaggedFieldSection(List<RawTaggedField>? unknown)
    {
        WriteUnsignedVarint((uint)(unknown?.Count ?? 0));
        WriteUnknownTaggedFields(unknown);
    }

    /// <summary>Writes the given unknown tagged fields (without the section's count).</summary>
    public void WriteUnknownTaggedFields(List<RawTaggedField>? unknown)
    {
        if (unknown is null)
        {
            return;
        }

        foreach (var field in unknown)
        {
            WriteUnsignedVarint(field.Tag);
            WriteUnsignedVarint((uint)field.Data.Length);
            WriteRaw(field.Data);
        }
    }

    /// <summary>
    /// Writes the unknown tagged fields from <paramref name="index"/> on whose tag is below
    /// <paramref name="beforeTag"/>, advancing <paramref name="index"/>. Generated code calls it before
    /// each known tagged field, and once more with <see cref="long.MaxValue"/>, so that known and
    /// unknown fields go out in ascending tag order as Kafka requires (unknown fields are kept in the
    /// order they were read, which is ascending).
    /// </summary>
    public void WriteRawTaggedFields(List<RawTaggedField>? unknown, ref int index, long beforeTag)
    {
        if (unknown is null)
        {
            return;
        }

        for (; index < unknown.Count && unknown[index].Tag < beforeTag; index++)
        {
            var field = unknown[index];
            WriteUnsignedVarint(field.Tag);
            WriteUnsignedVarint((uint)field.Data.Length);
            WriteRaw(field.Data);
        }
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Deferred bytes and the position in the writer's bytes where they belong.</summary>
/// <param name="Position">The position in <see cref="ProtocolWriter.WrittenSpan"/> the bytes follow.</param>
/// <param name="Bytes">The bytes.</param>
public readonly record struct ExternalSegment(int Position, ExternalBytes Bytes);
