using System.Buffers.Binary;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using K4os.Hash.xxHash;
using Snappier;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

/// <summary>The on-the-wire variants other clients produce.</summary>
public sealed class CompressionFormatTests
{
    private static readonly byte[] XerialMagic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    [Fact]
    public void RawSnappyBlock_AsLibrdkafkaWritesIt_Decodes()
    {
        var records = TestBatches.RepetitiveRecords(300);
        var section = TestBatches.RecordsSection(records);
        var batch = TestBatches.Craft(Snappy.CompressToArray(section), records.Length, CompressionType.Snappy, baseTimestamp: records[0].Timestamp);

        RecordBatchRoundTripTests.AssertSameRecords(records, RecordBatchReader.ReadSingle(batch).Records);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(32 * 1024)]
    public void XerialFramedSnappy_AsJavaWritesIt_Decodes(int chunkSize)
    {
        var records = TestBatches.RepetitiveRecords(600);
        var section = TestBatches.RecordsSection(records);
        var batch = TestBatches.Craft(Xerial(section, chunkSize), records.Length, CompressionType.Snappy, baseTimestamp: records[0].Timestamp);

        RecordBatchRoundTripTests.AssertSameRecords(records, RecordBatchReader.ReadSingle(batch).Records);
    }

    [Fact]
    public void WriterEmitsXerialFraming()
    {
        var bytes = TestBatches.Write(CompressionType.Snappy, TestBatches.MixedRecords());
        Assert.Equal(XerialMagic, bytes.AsSpan(RecordBatchHeader.Size, XerialMagic.Length).ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0x7fffffff)]
    public void XerialChunkWithBadLength_IsRejected(int chunkLength)
    {
        var section = TestBatches.RecordsSection(TestBatches.MixedRecords());
        var framed = Xerial(section, 1 << 20);
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(16), chunkLength);
        TestBatches.AssertRejected(TestBatches.Craft(framed, 6, CompressionType.Snappy));
    }

    [Fact]
    public void SnappyBlockDeclaringAHugeLength_IsRejectedBeforeAllocating()
    {
        // A raw block whose varint preamble claims ~4 GiB - 1 with nothing behind it.
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        TestBatches.AssertRejected(TestBatches.Craft(block, 1, CompressionType.Snappy));
    }

    [Fact]
    public void Lz4FrameWithTheOldBrokenHeaderChecksum_Decodes()
    {
        // Kafka clients before 0.10 computed the frame descriptor checksum over the magic too, so it
        // is wrong; readers are expected to tolerate it.
        var records = TestBatches.MixedRecords();
        var bytes = TestBatches.Write(CompressionType.Lz4, records);
        var section = bytes[RecordBatchHeader.Size..];
        var checksumAt = 6 + ((section[4] & 0x08) != 0 ? 8 : 0);
        section[checksumAt] = (byte)(XXH32.DigestOf(section.AsSpan(0, checksumAt)) >> 8);

        var batch = TestBatches.Craft(section, records.Length, CompressionType.Lz4, baseTimestamp: records[0].Timestamp);
        RecordBatchRoundTripTests.AssertSameRecords(records, RecordBatchReader.ReadSingle(batch).Records);
    }

    [Fact]
    public void Lz4FrameWithAnyOtherWrongHeaderChecksum_IsRejected()
    {
        var bytes = TestBatches.Write(CompressionType.Lz4, TestBatches.MixedRecords());
        var section = bytes[RecordBatchHeader.Size..];
        var checksumAt = 6 + ((section[4] & 0x08) != 0 ? 8 : 0);
        var broken = (byte)(XXH32.DigestOf(section.AsSpan(0, checksumAt)) >> 8);
        section[checksumAt] = (byte)(section[checksumAt] ^ 0x01) == broken ? (byte)(section[checksumAt] ^ 0x02) : (byte)(section[checksumAt] ^ 0x01);

        TestBatches.AssertRejected(TestBatches.Craft(section, 6, CompressionType.Lz4));
    }

    [Fact]
    public void Lz4WriterUsesIndependent64KiBBlocks()
    {
        var bytes = TestBatches.Write(CompressionType.Lz4, TestBatches.MixedRecords());
        var section = bytes[RecordBatchHeader.Size..];

        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(section));
        Assert.True((section[4] & 0x20) != 0, "block independence flag");
        Assert.Equal(4, (section[5] >> 4) & 0x07); // BD block max size 4 = 64 KiB
    }

    private static byte[] Xerial(byte[] data, int chunkSize)
    {
        using var output = new ProtocolWriter();
        output.WriteRaw(XerialMagic);
        output.WriteInt32(1);
        output.WriteInt32(1);
        for (var at = 0; at < data.Length; at += chunkSize)
        {
            var chunk = Snappy.CompressToArray(data.AsSpan(at, Math.Min(chunkSize, data.Length - at)));
            output.WriteInt32(chunk.Length);
            output.WriteRaw(chunk);
        }

        return output.ToArray();
    }
}
