using System.Buffers.Binary;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.StateLog;

/// <summary>
/// The frame of every state log record: <c>int32 LE payload length | uint32 LE CRC32C(payload) | payload</c>. The
/// offsets and transaction logs have used it since they were written, so files of earlier versions replay unchanged.
/// </summary>
internal static class StateLogFrame
{
    /// <summary>The frame header: payload length and CRC.</summary>
    public const int HeaderLength = 8;

    /// <summary>Frames <paramref name="payload"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32C.Compute(payload));
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>
    /// Reads the next frame's payload from <paramref name="stream"/>, or null at the end of the intact frames: end of
    /// file, a short header or payload, a length outside 1..<paramref name="maxPayloadLength"/>, or a CRC mismatch.
    /// </summary>
    public static byte[]? TryRead(Stream stream, int maxPayloadLength)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        if (stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false) < HeaderLength)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length <= 0 || length > maxPayloadLength)
        {
            return null;
        }

        var payload = new byte[length];
        return stream.ReadAtLeast(payload, length, throwOnEndOfStream: false) == length && Crc32C.Compute(payload) == crc ? payload : null;
    }
}
