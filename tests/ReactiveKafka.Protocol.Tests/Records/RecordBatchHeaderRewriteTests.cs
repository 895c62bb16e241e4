using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

public sealed class RecordBatchHeaderRewriteTests
{
    [Fact]
    public void WriteBaseOffset_KeepsTheCrcValid_AndMovesRecordOffsets()
    {
        var bytes = TestBatches.Write(CompressionType.Lz4, TestBatches.MixedRecords());
        var crc = RecordBatchHeader.ComputeCrc(bytes);

        RecordBatchHeader.WriteBaseOffset(bytes, 5_000_000_000);

        Assert.Equal(crc, RecordBatchHeader.ComputeCrc(bytes));
        var batch = RecordBatchReader.ReadSingle(bytes);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => 5_000_000_000L + i), batch.Records.Select(r => r.Offset));
    }

    [Fact]
    public void WritePartitionLeaderEpoch_KeepsTheBatchValid()
    {
        var bytes = TestBatches.Write(CompressionType.None, TestBatches.MixedRecords());

        RecordBatchHeader.WritePartitionLeaderEpoch(bytes, 31);

        Assert.Null(RecordBatchHeader.Validate(bytes, out var header));
        Assert.Equal(31, header.PartitionLeaderEpoch);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Zstd)]
    public void SetLogAppendTime_RecomputesTheCrc_AndAppliesToEveryRecord(CompressionType compression)
    {
        var bytes = TestBatches.Write(compression, TestBatches.MixedRecords());

        RecordBatchHeader.SetLogAppendTime(bytes, 1_800_000_000_000);

        var batch = RecordBatchReader.ReadSingle(bytes);
        Assert.True(batch.Header.IsLogAppendTime);
        Assert.Equal(1_800_000_000_000, batch.Header.MaxTimestamp);
        Assert.All(batch.Records, r => Assert.Equal(1_800_000_000_000, r.Timestamp));
    }

    [Fact]
    public void WriteTo_RoundTripsTheHeader()
    {
        var header = new RecordBatchHeader(1, 49, 2, 2, 0xDEADBEEF, 0x35, 4, 5, 6, 7, 8, 9, 10);
        var bytes = new byte[RecordBatchHeader.Size];

        header.WriteTo(bytes);

        Assert.True(RecordBatchHeader.TryRead(bytes, out var read));
        Assert.Equal(header, read);
    }

    [Fact]
    public void Rewrites_RejectShortSpans() =>
        Assert.Throws<ArgumentException>(() => RecordBatchHeader.WriteBaseOffset(new byte[10], 1));
}
