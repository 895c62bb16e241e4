using System.Buffers.Binary;
using System.Text;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.StateLog;

/// <summary>
/// Encodes records into <see cref="StateLogFrame"/>s through one reused buffer, so a compaction of many records does not
/// allocate a payload and a frame per record. Not thread-safe: one per encoding pass.
/// </summary>
/// <typeparam name="TRecord">The record type.</typeparam>
internal sealed class FrameWriter<TRecord> : IDisposable
{
    private readonly IStateLogMachine<TRecord> _machine;
    private readonly MemoryStream _buffer = new();
    private readonly BinaryWriter _writer;

    public FrameWriter(IStateLogMachine<TRecord> machine)
    {
        _machine = machine;
        _writer = new BinaryWriter(_buffer, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>
    /// Encodes <paramref name="record"/> as a complete frame in the reused buffer; valid until the next call. Throws
    /// <see cref="ArgumentException"/> when the payload is larger than recovery accepts (it would read as a torn tail and
    /// hide every record after it).
    /// </summary>
    public ReadOnlySpan<byte> Encode(TRecord record)
    {
        _buffer.SetLength(StateLogFrame.HeaderLength);
        _buffer.Position = StateLogFrame.HeaderLength;
        _machine.Encode(record, _writer);
        _writer.Flush();
        var frame = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);
        var length = frame.Length - StateLogFrame.HeaderLength;
        if (length > _machine.MaxPayloadLength)
        {
            throw new ArgumentException($"A {typeof(TRecord).Name} of {length} bytes is larger than the state log accepts ({_machine.MaxPayloadLength}).", nameof(record));
        }

        BinaryPrimitives.WriteInt32LittleEndian(frame, length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32C.Compute(frame[StateLogFrame.HeaderLength..]));
        return frame;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _buffer.Dispose();
    }
}
