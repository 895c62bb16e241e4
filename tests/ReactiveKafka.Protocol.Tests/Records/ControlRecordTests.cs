using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Protocol.Tests.Records;

public sealed class ControlRecordTests
{
    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void MarkerBatch_RoundTrips(ControlRecordType type)
    {
        var bytes = RecordBatchWriter.BuildEndTransactionMarker(
            new ControlRecord(type, CoordinatorEpoch: 17), producerId: 1234, producerEpoch: 5, timestamp: 1_700_000_000_000, baseOffset: 88, partitionLeaderEpoch: 2);

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.True(batch.IsControl);
        Assert.True(batch.IsTransactional);
        Assert.Equal(1234, batch.Header.ProducerId);
        Assert.Equal((short)5, batch.Header.ProducerEpoch);
        Assert.Equal(-1, batch.Header.BaseSequence);
        Assert.Equal(88, batch.BaseOffset);
        Assert.Equal(2, batch.Header.PartitionLeaderEpoch);
        Assert.True(batch.TryGetEndTransactionMarker(out var marker));
        Assert.Equal(new ControlRecord(type, 17), marker);
        Assert.Equal([0, 0, 0, (byte)type], batch.Records[0].Key!.Value.ToArray());
        Assert.Equal([0, 0, 0, 0, 0, 17], batch.Records[0].Value!.Value.ToArray());
    }

    [Fact]
    public void OrdinaryBatch_HasNoMarker()
    {
        var batch = RecordBatchReader.ReadSingle(TestBatches.Write(CompressionType.None, TestBatches.MixedRecords()));
        Assert.False(batch.TryGetEndTransactionMarker(out _));
    }

    [Fact]
    public void UnknownControlType_IsNotAMarker()
    {
        var options = new RecordBatchOptions { IsControl = true, IsTransactional = true };
        var bytes = RecordBatchWriter.WriteToArray(options, new Record(0, 0, new byte[] { 0, 0, 0, 9 }, new byte[] { 0, 0, 0, 0, 0, 1 }));

        var batch = RecordBatchReader.ReadSingle(bytes);

        Assert.Equal((ControlRecordType)9, ControlRecord.ReadType(batch.Records[0].Key!.Value.Span));
        Assert.False(batch.TryGetEndTransactionMarker(out _));
    }

    [Fact]
    public void MalformedMarkers_AreRejected()
    {
        Assert.Throws<ProtocolException>(() => ControlRecord.ReadType(new byte[] { 0, 0, 1 }));
        Assert.Throws<ProtocolException>(() => ControlRecord.ReadType(new byte[] { 0xFF, 0xFF, 0, 1 }));
        Assert.Throws<ProtocolException>(() => ControlRecord.Parse(new Record(0, 0, new byte[] { 0, 0, 0, 1 }, new byte[] { 0, 0, 0, 0, 1 })));
        Assert.Throws<ProtocolException>(() => ControlRecord.Parse(new Record(0, 0, new byte[] { 0, 0, 0, 1 }, null)));
        Assert.Throws<ProtocolException>(() => ControlRecord.Parse(new Record(0, 0, null, new byte[6])));
    }
}
