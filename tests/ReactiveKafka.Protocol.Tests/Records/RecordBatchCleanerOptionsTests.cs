using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

/// <summary>The batch fields a log cleaner writes: delete horizon (KIP-534), kept last offset, kept max timestamp.</summary>
public sealed class RecordBatchCleanerOptionsTests
{
    public static TheoryData<CompressionType> Codecs => new(TestBatches.AllCodecs);

    [Theory]
    [MemberData(nameof(Codecs))]
    public void DeleteHorizon_SetsTheBitAndBaseTimestamp_RecordTimestampsUnchanged(CompressionType compression)
    {
        var records = TestBatches.MixedRecords(baseOffset: 10);
        var bytes = RecordBatchWriter.WriteToArray(
            new RecordBatchOptions { BaseOffset = 10, Compression = compression, DeleteHorizonMs = 1_800_000_000_000 }, records);

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Equal(1_800_000_000_000, batch.Header.DeleteHorizonMs);
        Assert.Equal(1_800_000_000_000, batch.Header.BaseTimestamp);
        Assert.Equal(records.Select(r => r.Timestamp), batch.Records.Select(r => r.Timestamp));
        Assert.Equal(records.Max(r => r.Timestamp), batch.Header.MaxTimestamp);
    }

    [Fact]
    public void NoDeleteHorizon_ReadsAsNull()
    {
        var bytes = RecordBatchWriter.WriteToArray(RecordBatchOptions.Default, TestBatches.MixedRecords());

        Assert.Null(RecordBatchReader.ReadSingle(bytes).Header.DeleteHorizonMs);
    }

    [Fact]
    public void LastOffsetDelta_KeptPastTheLastRecord()
    {
        Record[] records = [new(100, 5, TestBatches.Bytes("k"), TestBatches.Bytes("v")), new(103, 6, TestBatches.Bytes("k2"), null)];
        var bytes = RecordBatchWriter.WriteToArray(new RecordBatchOptions { BaseOffset = 100, LastOffsetDelta = 9 }, records);

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Equal(109, batch.LastOffset);
        Assert.Equal([100L, 103], batch.Records.Select(r => r.Offset));
    }

    [Fact]
    public void LastOffsetDelta_BeforeTheLastRecord_Throws()
    {
        Record[] records = [new(100, 5, null, null), new(103, 6, null, null)];

        Assert.Throws<ArgumentException>(() =>
            RecordBatchWriter.WriteToArray(new RecordBatchOptions { BaseOffset = 100, LastOffsetDelta = 2 }, records));
    }

    [Fact]
    public void EmptyBatch_KeepsOffsetsProducerAndMaxTimestamp()
    {
        var bytes = RecordBatchWriter.WriteToArray(new RecordBatchOptions
        {
            BaseOffset = 50,
            LastOffsetDelta = 4,
            MaxTimestamp = 1234,
            ProducerId = 7,
            ProducerEpoch = 2,
            BaseSequence = 40,
        });

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Equal(RecordBatchHeader.Size, bytes.Length);
        Assert.Equal((50L, 54L, 0, 1234L, -1L), (batch.BaseOffset, batch.LastOffset, batch.Header.RecordCount, batch.Header.MaxTimestamp, batch.Header.BaseTimestamp));
        Assert.Equal((7L, (short)2, 40), (batch.Header.ProducerId, batch.Header.ProducerEpoch, batch.Header.BaseSequence));
        Assert.Empty(batch.Records);
    }
}
