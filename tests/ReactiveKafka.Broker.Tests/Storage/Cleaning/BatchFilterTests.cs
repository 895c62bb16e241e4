using System.Text;
using ReactiveKafka.Broker.Storage.Cleaning;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;
using Record = ReactiveKafka.Protocol.Records.Record;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

public sealed class BatchFilterTests
{
    private const long Now = 5_000_000;
    private const long DeleteRetention = 60_000;

    public static TheoryData<CompressionType> Codecs =>
        new(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    // Records at offsets 100.. of the given keys and values (null value: tombstone).
    private static byte[] Batch(RecordBatchOptions options, params (string? Key, string? Value)[] records) =>
        RecordBatchWriter.WriteToArray(options with { BaseOffset = 100 },
            records.Select((r, i) => new Record(100 + i, 1_000 + i, KeyedBatches.Memory(r.Key), KeyedBatches.Memory(r.Value))).ToArray());

    private static OffsetMap Map(long latestOffset, params (string Key, long Offset)[] entries)
    {
        var map = new OffsetMap(64 * 1024);
        foreach (var (key, offset) in entries)
        {
            map.TryPut(Encoding.UTF8.GetBytes(key), offset);
        }

        map.UpdateLatestOffset(latestOffset);
        return map;
    }

    private static (BatchFilterResult Result, RecordBatch? Batch) Filter(byte[] batch, OffsetMap map, bool keepIfEmpty = false, long now = Now)
    {
        RecordBatchHeader.TryRead(batch, out var header);
        using var output = new ProtocolWriter();
        var result = BatchFilter.Filter(batch, header, map, now, DeleteRetention, keepIfEmpty, output);
        Assert.Equal(output.Length, result.BytesWritten);
        return (result, output.Length == 0 ? null : RecordBatchReader.ReadSingle(output.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void SupersededRecords_Removed_OffsetsAndCodecKept(CompressionType codec)
    {
        var options = new RecordBatchOptions { Compression = codec, ProducerId = 9, ProducerEpoch = 1, BaseSequence = 40, PartitionLeaderEpoch = 3 };
        var batch = Batch(options, ("a", "a1"), ("b", "b1"), ("a", "a2"), ("c", "c1"));
        var map = Map(200, ("a", 102), ("b", 150), ("c", 103));

        var (result, filtered) = Filter(batch, map);

        Assert.True(result.Rebuilt);
        Assert.Equal((4, 2), (result.RecordsRead, result.RecordsRetained));
        Assert.NotNull(filtered);
        Assert.Equal([(102L, "a", "a2"), (103L, "c", "c1")], filtered.Records.Select(r => (r.Offset, KeyedBatches.Text(r.Key), KeyedBatches.Text(r.Value))));
        Assert.Equal((100L, 103L, codec), (filtered.BaseOffset, filtered.LastOffset, filtered.Compression));
        Assert.Equal((9L, (short)1, 40, 3), (filtered.Header.ProducerId, filtered.Header.ProducerEpoch, filtered.Header.BaseSequence, filtered.Header.PartitionLeaderEpoch));
        Assert.Equal([1002L, 1003], filtered.Records.Select(r => r.Timestamp));
        Assert.Null(filtered.Header.DeleteHorizonMs);
    }

    [Fact]
    public void LastRecordsRemoved_LastOffsetIsKept()
    {
        var batch = Batch(RecordBatchOptions.Default, ("a", "a1"), ("b", "b1"), ("b", "b2"));
        var (_, filtered) = Filter(batch, Map(200, ("a", 100), ("b", 500)));

        Assert.NotNull(filtered);
        Assert.Equal(102, filtered.LastOffset);
        Assert.Equal([100L], filtered.Records.Select(r => r.Offset));
    }

    [Fact]
    public void EveryRecordLatest_BatchCopiedByteForByte()
    {
        var batch = Batch(new RecordBatchOptions { Compression = CompressionType.Lz4 }, ("a", "1"), ("b", "2"));
        RecordBatchHeader.TryRead(batch, out var header);
        using var output = new ProtocolWriter();

        var result = BatchFilter.Filter(batch, header, Map(200, ("a", 100), ("b", 101)), Now, DeleteRetention, false, output);

        Assert.False(result.Rebuilt);
        Assert.Equal(batch, output.ToArray());
    }

    [Fact]
    public void RecordsPastTheMap_AreKeptEvenKeyless()
    {
        var batch = Batch(RecordBatchOptions.Default, ("a", "1"), (null, "keyless"), ("a", "2"));
        var (_, filtered) = Filter(batch, Map(100, ("a", 100)));

        Assert.NotNull(filtered);
        Assert.Equal([100L, 101, 102], filtered.Records.Select(r => r.Offset));
    }

    [Fact]
    public void KeylessRecordsInsideTheMap_AreDropped()
    {
        var batch = Batch(RecordBatchOptions.Default, (null, "keyless"), ("a", "1"));
        var (_, filtered) = Filter(batch, Map(200, ("a", 101)));

        Assert.NotNull(filtered);
        Assert.Equal([101L], filtered.Records.Select(r => r.Offset));
    }

    [Fact]
    public void Tombstone_FirstPassKeepsItAndSetsTheDeleteHorizon_LaterPassAfterTheHorizonDropsIt()
    {
        var batch = Batch(RecordBatchOptions.Default, ("a", null), ("b", "1"));
        var map = Map(200, ("a", 100), ("b", 101));

        var (first, once) = Filter(batch, map);
        Assert.True(first.Rebuilt);
        Assert.NotNull(once);
        Assert.Equal(Now + DeleteRetention, once.Header.DeleteHorizonMs);
        Assert.Equal([1000L, 1001], once.Records.Select(r => r.Timestamp));

        var cleanedOnce = once.RawBytes.ToArray();
        var (_, beforeHorizon) = Filter(cleanedOnce, map, now: Now + DeleteRetention - 1);
        Assert.NotNull(beforeHorizon);
        Assert.Equal(2, beforeHorizon.Records.Count);

        var (_, afterHorizon) = Filter(cleanedOnce, map, now: Now + DeleteRetention);
        Assert.NotNull(afterHorizon);
        Assert.Equal([101L], afterHorizon.Records.Select(r => r.Offset));
        Assert.Equal(Now + DeleteRetention, afterHorizon.Header.DeleteHorizonMs);
    }

    [Fact]
    public void AllRecordsRemoved_DroppedUnlessKeptEmpty()
    {
        var options = new RecordBatchOptions { Compression = CompressionType.Zstd, ProducerId = 5, ProducerEpoch = 2, BaseSequence = 7 };
        var batch = Batch(options, ("a", "1"), ("a", "2"));
        var map = Map(200, ("a", 150));

        Assert.Null(Filter(batch, map).Batch);

        var (result, empty) = Filter(batch, map, keepIfEmpty: true);
        Assert.Equal(0, result.RecordsRetained);
        Assert.NotNull(empty);
        Assert.Empty(empty.Records);
        Assert.Equal((100L, 101L, 1001L), (empty.BaseOffset, empty.LastOffset, empty.Header.MaxTimestamp));
        Assert.Equal((5L, (short)2, 7, CompressionType.None), (empty.Header.ProducerId, empty.Header.ProducerEpoch, empty.Header.BaseSequence, empty.Compression));
    }

    [Fact]
    public void LogAppendTimeBatch_KeepsItsAppendTime()
    {
        var batch = Batch(RecordBatchOptions.Default, ("a", "1"), ("a", "2"));
        RecordBatchHeader.SetLogAppendTime(batch, 777_000);

        var (_, filtered) = Filter(batch, Map(200, ("a", 101)));

        Assert.NotNull(filtered);
        Assert.True(filtered.Header.IsLogAppendTime);
        Assert.Equal(777_000, filtered.Header.MaxTimestamp);
        Assert.Equal([777_000L], filtered.Records.Select(r => r.Timestamp));
    }

    [Fact]
    public void ControlBatch_IsKeptUnchanged()
    {
        var marker = RecordBatchWriter.BuildEndTransactionMarker(new ControlRecord(ControlRecordType.Commit, 0), producerId: 3, producerEpoch: 0, timestamp: 10, baseOffset: 100);
        RecordBatchHeader.TryRead(marker, out var header);
        using var output = new ProtocolWriter();

        BatchFilter.Filter(marker, header, Map(500), Now, DeleteRetention, false, output);

        Assert.Equal(marker, output.ToArray());
    }

    [Fact]
    public void CorruptBatch_Throws()
    {
        var batch = Batch(RecordBatchOptions.Default, ("a", "1"), ("a", "2"));
        batch[^1] ^= 0xFF;
        RecordBatchHeader.TryRead(batch, out var header);
        using var output = new ProtocolWriter();

        Assert.Throws<ProtocolException>(() => BatchFilter.Filter(batch, header, Map(200, ("a", 101)), Now, DeleteRetention, false, output));
    }
}
