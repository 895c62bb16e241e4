using System.Runtime.CompilerServices;

namespace ReactiveKafka.Protocol;

/// <summary>
/// Kafka's variable-length integers: unsigned LEB128 (<c>UNSIGNED_VARINT</c>) and zig-zag encoded
/// signed values (<c>VARINT</c>, <c>VARLONG</c>) as used by flexible versions and record batches.
/// </summary>
public static class Varint
{
    /// <summary>The largest number of bytes a 32-bit varint occupies.</summary>
    public const int MaxLength32 = 5;

    /// <summary>The largest number of bytes a 64-bit varint occupies.</summary>
    public const int MaxLength64 = 10;

    /// <summary>Bytes needed to write <paramref name="value"/> as an unsigned varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOfUnsigned(uint value) => (38 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7;

    /// <summary>Bytes needed to write <paramref name="value"/> as an unsigned 64-bit varint.</summary>
    public static int SizeOfUnsigned(ulong value) => (70 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7;

    /// <summary>Bytes needed to write <paramref name="value"/> as a zig-zag varint.</summary>
    public static int SizeOfSigned(int value) => SizeOfUnsigned(ZigZag(value));

    /// <summary>Bytes needed to write <paramref name="value"/> as a zig-zag varlong.</summary>
    public static int SizeOfSigned(long value) => SizeOfUnsigned(ZigZag(value));

    /// <summary>Zig-zag encodes a 32-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    /// <summary>Zig-zag encodes a 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>Zig-zag decodes a 32-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnZigZag(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    /// <summary>Zig-zag decodes a 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Writes an unsigned varint; returns the bytes written. The span must hold <see cref="MaxLength32"/>.</summary>
    public static int WriteUnsigned(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Writes an unsigned 64-bit varint; returns the bytes written.</summary>
    public static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads an unsigned varint. Returns false when the input ends before the varint does;
    /// throws <see cref="ProtocolException"/> when it is longer than five bytes.
    /// </summary>
    public static bool TryReadUnsigned(ReadOnlySpan<byte> source, out uint value, out int bytesRead)
    {
        uint result = 0;
        for (var i = 0; i < MaxLength32; i++)
        {
            if (i >= source.Length)
            {
                value = 0;
                bytesRead = 0;
                return false;
            }

            var b = source[i];
            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = result;
                bytesRead = i + 1;
                return true;
            }
        }

        throw new ProtocolException("Varint is longer than 5 bytes.");
    }

    /// <summary>
    /// Reads an unsigned 64-bit varint. Returns false when the input ends before the varint does;
    /// throws <see cref="ProtocolException"/> when it is longer than ten bytes.
    /// </summary>
    public static bool TryReadUnsigned(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        ulong result = 0;
        for (var i = 0; i < MaxLength64; i++)
        {
            if (i >= source.Length)
            {
                value = 0;
                bytesRead = 0;
                return false;
            }

            var b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = result;
                bytesRead = i + 1;
                return true;
            }
        }

        throw new ProtocolException("Varlong is longer than 10 bytes.");
    }
}
