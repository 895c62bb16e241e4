using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Producers;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Producers;

/// <summary>Transactional batches and markers on a partition: the last stable offset, the aborted-transaction index, and their rebuild.</summary>
public sealed class TransactionMarkerTests : IDisposable
{
    private static readonly LogConfig Os = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("t-0");

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig? config = null) => PartitionLog.Open(Dir, config ?? Os, _time, NullLogger.Instance);

    [Fact]
    public async Task OpenTransaction_HoldsTheLastStableOffset_UntilItsMarker()
    {
        await using var log = Open();
        log.Append(TestBatches.Create(2), _time.NowMs);
        log.Append(ProducerBatches.Idempotent(5, 0, 0, records: 3, transactional: true), _time.NowMs);
        log.Append(TestBatches.Create(1), _time.NowMs);

        Assert.Equal(2, log.LastStableOffset);
        Assert.Equal(6, log.HighWatermark);

        var marker = log.AppendTransactionMarker(5, 0, commit: true, coordinatorEpoch: 0);

        Assert.Equal((ErrorCode.None, 6L), (marker.Error, marker.BaseOffset));
        Assert.Equal(7, log.LastStableOffset);
        Assert.Empty(log.AbortedTransactions(0, 7));
        using var read = log.Read(6, 1 << 20, log.HighWatermark);
        var header = Assert.Single(TestBatches.Parse(read.Records.Span));
        Assert.True(header.IsControl && header.IsTransactional);
        var record = Assert.Single(RecordBatchReader.ReadSingle(read.Records).Records);
        Assert.Equal(new ControlRecord(ControlRecordType.Commit, 0), ControlRecord.Parse(record));
    }

    [Fact]
    public async Task Abort_IsIndexed_AndListedForTheRangesItOverlaps()
    {
        await using var log = Open();
        log.Append(ProducerBatches.Idempotent(5, 0, 0, records: 2, transactional: true), _time.NowMs); // 0-1
        log.Append(ProducerBatches.Idempotent(6, 0, 0, records: 1, transactional: true), _time.NowMs); // 2
        log.AppendTransactionMarker(5, 0, commit: false, coordinatorEpoch: 3);                           // 3

        Assert.Equal(2, log.LastStableOffset); // producer 6 still open
        log.AppendTransactionMarker(6, 0, commit: true, coordinatorEpoch: 3);                            // 4

        Assert.Equal(5, log.LastStableOffset);
        var aborted = Assert.Single(log.AbortedTransactions(0, 5));
        Assert.Equal((5L, 0L, 3L), (aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset));
        Assert.Single(log.AbortedTransactions(3, 5));
        Assert.Empty(log.AbortedTransactions(4, 5));
    }

    [Fact]
    public async Task StaleMarkers_AndNonTransactionalWritesDuringATransaction_GetKafkasErrors()
    {
        await using var log = Open();
        log.Append(ProducerBatches.Idempotent(5, 2, 0, transactional: true), _time.NowMs);

        var plain = log.Append(ProducerBatches.Idempotent(5, 2, 1), _time.NowMs);
        var oldEpoch = log.AppendTransactionMarker(5, 1, commit: true, coordinatorEpoch: 0);
        Assert.Equal(ErrorCode.None, log.AppendTransactionMarker(5, 2, commit: true, coordinatorEpoch: 4).Error);
        var oldCoordinator = log.AppendTransactionMarker(5, 2, commit: true, coordinatorEpoch: 3);

        Assert.Equal(ErrorCode.InvalidTxnState, plain.Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, oldEpoch.Error);
        Assert.Equal(ErrorCode.TransactionCoordinatorFenced, oldCoordinator.Error);
        Assert.Equal(2, log.LogEndOffset);
    }

    [Fact]
    public async Task SequenceContinues_AcrossTransactionsOfOneEpoch()
    {
        await using var log = Open();
        log.Append(ProducerBatches.Idempotent(5, 0, 0, records: 2, transactional: true), _time.NowMs);
        log.AppendTransactionMarker(5, 0, commit: true, coordinatorEpoch: 0);

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(ProducerBatches.Idempotent(5, 0, 0, transactional: true), _time.NowMs).Error);
        Assert.Equal(ErrorCode.None, log.Append(ProducerBatches.Idempotent(5, 0, 2, transactional: true), _time.NowMs).Error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OpenTransactionAndAborts_SurviveAReopen_FromTheSnapshotOrTheLog(bool keepSnapshots)
    {
        await using (var log = Open())
        {
            log.Append(ProducerBatches.Idempotent(5, 0, 0, records: 2, transactional: true), _time.NowMs); // 0-1
            log.AppendTransactionMarker(5, 0, commit: false, coordinatorEpoch: 0);                           // 2
            log.Append(ProducerBatches.Idempotent(6, 0, 0, transactional: true), _time.NowMs);              // 3
        }

        if (!keepSnapshots)
        {
            foreach (var file in Directory.EnumerateFiles(Dir).Where(f => f.EndsWith(ProducerSnapshotFile.Extension, StringComparison.Ordinal) || f.EndsWith(LogSegment.TxnIndexExtension, StringComparison.Ordinal)))
            {
                File.Delete(file); // as after a kill -9 with nothing but the log: the rebuild replays it
            }
        }

        await using var reopened = Open();

        Assert.Equal(3, reopened.LastStableOffset);
        var aborted = Assert.Single(reopened.AbortedTransactions(0, 4));
        Assert.Equal((5L, 0L, 2L), (aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset));
        Assert.Equal(ErrorCode.None, reopened.AppendTransactionMarker(6, 0, commit: true, coordinatorEpoch: 0).Error);
        Assert.Equal(5, reopened.LastStableOffset);
    }

    [Fact]
    public async Task AbortIndex_FollowsTheSegmentItsMarkerIsIn_AcrossRolls()
    {
        await using var log = Open(Os with { SegmentBytes = 300 });
        for (var i = 0; i < 6; i++)
        {
            log.Append(ProducerBatches.Idempotent(5, 0, i, transactional: true), _time.NowMs);
            log.AppendTransactionMarker(5, 0, commit: i % 2 == 0, coordinatorEpoch: 0);
        }

        Assert.True(log.SegmentCount > 2);
        var aborted = log.AbortedTransactions(0, log.LogEndOffset);
        Assert.Equal([2L, 6L, 10L], aborted.Select(a => a.FirstOffset));
        Assert.Equal([6L, 10L], log.AbortedTransactions(5, log.LogEndOffset).Select(a => a.FirstOffset));
    }
}
