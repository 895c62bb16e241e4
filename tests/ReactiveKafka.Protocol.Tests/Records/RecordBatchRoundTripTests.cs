using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

public sealed class RecordBatchRoundTripTests
{
    public static TheoryData<CompressionType> Codecs => new(TestBatches.AllCodecs);

    public static TheoryData<CompressionType> CompressingCodecs =>
        new(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    [Theory]
    [MemberData(nameof(Codecs))]
    public void MixedRecords_RoundTrip(CompressionType compression)
    {
        var records = TestBatches.MixedRecords(baseOffset: 1000);
        var options = new RecordBatchOptions
        {
            BaseOffset = 1000,
            Compression = compression,
            PartitionLeaderEpoch = 7,
            ProducerId = 42,
            ProducerEpoch = 3,
            BaseSequence = 99,
            IsTransactional = true,
        };
        var bytes = RecordBatchWriter.WriteToArray(options, records);

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Null(RecordBatchHeader.Validate(bytes, out _));
        Assert.Equal(compression, batch.Compression);
        Assert.Equal(1000, batch.BaseOffset);
        Assert.Equal(1005, batch.LastOffset);
        Assert.Equal(7, batch.Header.PartitionLeaderEpoch);
        Assert.Equal(42, batch.Header.ProducerId);
        Assert.Equal((short)3, batch.Header.ProducerEpoch);
        Assert.Equal(99, batch.Header.BaseSequence);
        Assert.True(batch.IsTransactional);
        Assert.False(batch.IsControl);
        Assert.False(batch.Header.IsLogAppendTime);
        Assert.Equal(records[0].Timestamp, batch.Header.BaseTimestamp);
        Assert.Equal(records.Max(r => r.Timestamp), batch.Header.MaxTimestamp);
        Assert.Equal(bytes.Length, batch.RawBytes.Length);
        AssertSameRecords(records, batch.Records);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void ManyRecords_RoundTrip(CompressionType compression)
    {
        var records = TestBatches.RepetitiveRecords(5000, baseOffset: 1L << 40);
        var bytes = RecordBatchWriter.WriteToArray(new RecordBatchOptions { BaseOffset = 1L << 40, Compression = compression }, records);

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Equal(5000, batch.Header.RecordCount);
        AssertSameRecords(records, batch.Records);
    }

    [Theory]
    [MemberData(nameof(CompressingCodecs))]
    public void RepetitiveData_CompressesSmaller(CompressionType compression)
    {
        var records = TestBatches.RepetitiveRecords(1000);
        var plain = TestBatches.Write(CompressionType.None, records);
        var compressed = TestBatches.Write(compression, records);

        Assert.True(compressed.Length * 3 < plain.Length, $"{compression}: {compressed.Length} bytes vs {plain.Length} uncompressed");
    }

    [Fact]
    public void ConcatenatedBatches_AreAllRead()
    {
        using var writer = new ProtocolWriter();
        long offset = 0;
        foreach (var compression in TestBatches.AllCodecs)
        {
            var records = TestBatches.MixedRecords(offset);
            RecordBatchWriter.Write(writer, new RecordBatchOptions { BaseOffset = offset, Compression = compression }, records);
            offset += records.Length;
        }

        var batches = RecordBatchReader.ReadAll(writer.ToArray());

        Assert.Equal(TestBatches.AllCodecs, batches.Select(b => b.Compression));
        Assert.Equal(Enumerable.Range(0, (int)offset).Select(i => (long)i), batches.SelectMany(b => b.Records).Select(r => r.Offset));
    }

    [Fact]
    public void EmptyInput_HasNoBatches() => Assert.Empty(RecordBatchReader.ReadAll(Array.Empty<byte>()));

    [Fact]
    public void EmptyBatch_RoundTrips()
    {
        var bytes = RecordBatchWriter.WriteToArray(new RecordBatchOptions { BaseOffset = 5 });
        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Empty(batch.Records);
        Assert.Equal(-1, batch.Header.BaseTimestamp);
        Assert.Equal(RecordBatchHeader.Size, bytes.Length);
    }

    [Fact]
    public void Builder_AssignsConsecutiveOffsets_AndAllowsGaps()
    {
        var builder = new RecordBatchBuilder(new RecordBatchOptions { BaseOffset = 10, Compression = CompressionType.Zstd })
            .Append(1, TestBatches.Bytes("a"), TestBatches.Bytes("1"))
            .Append(2, null, TestBatches.Bytes("2"), [new RecordHeader("h", null)]);
        builder.AppendWithOffset(new Record(20, 3, null, null));

        var batch = RecordBatchReader.ReadSingle(builder.ToArray());

        Assert.Equal([10L, 11L, 20L], batch.Records.Select(r => r.Offset));
        Assert.Equal(10, batch.Header.LastOffsetDelta);
        Assert.Equal(3, batch.Header.MaxTimestamp);
        Assert.Null(batch.Records[1].Headers[0].Value);
    }

    [Fact]
    public void Writer_RejectsDecreasingOffsets() =>
        Assert.Throws<ArgumentException>(() => RecordBatchWriter.WriteToArray(
            RecordBatchOptions.Default,
            new Record(1, 0, null, null),
            new Record(0, 0, null, null)));

    [Fact]
    public void DecodeRecordsFalse_ChecksHeaderOnly()
    {
        var bytes = TestBatches.Write(CompressionType.Gzip, TestBatches.MixedRecords());
        var batch = RecordBatchReader.ReadSingle(bytes, new RecordBatchReaderOptions { DecodeRecords = false });

        Assert.False(batch.RecordsDecoded);
        Assert.Empty(batch.Records);
        Assert.Equal(6, batch.Header.RecordCount);
    }

    [Fact]
    public void RecordsAreSlicesOfTheInput_WhenUncompressed()
    {
        var bytes = TestBatches.Write(CompressionType.None, new Record(0, 0, TestBatches.Bytes("k"), TestBatches.Bytes("v")));
        var record = RecordBatchReader.ReadSingle(bytes).Records[0];

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(record.Value!.Value, out var segment));
        Assert.Same(bytes, segment.Array);
    }

    internal static void AssertSameRecords(IReadOnlyList<Record> expected, IReadOnlyList<Record> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.Equal(e.Offset, a.Offset);
            Assert.Equal(e.Timestamp, a.Timestamp);
            Assert.Equal(e.Attributes, a.Attributes);
            AssertSameBytes(e.Key, a.Key);
            AssertSameBytes(e.Value, a.Value);
            Assert.Equal(e.Headers.Count, a.Headers.Count);
            for (var h = 0; h < e.Headers.Count; h++)
            {
                Assert.Equal(e.Headers[h].Key, a.Headers[h].Key);
                AssertSameBytes(e.Headers[h].Value, a.Headers[h].Value);
            }
        }
    }

    private static void AssertSameBytes(ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte>? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected.HasValue)
        {
            Assert.Equal(expected.Value.ToArray(), actual!.Value.ToArray());
        }
    }
}
