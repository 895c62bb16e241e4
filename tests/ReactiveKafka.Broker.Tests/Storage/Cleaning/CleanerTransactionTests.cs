using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Cleaning;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

/// <summary>The cleaner and transactions: aborted records go, their markers later; undecided transactions are not touched.</summary>
public sealed class CleanerTransactionTests : IDisposable
{
    private static readonly LogConfig Compact = LogConfig.Default with
    {
        FlushPolicy = FlushPolicy.OperatingSystem,
        CleanupPolicy = "compact",
        SegmentBytes = 4096,
        MinCleanableDirtyRatio = 0.01,
        DeleteRetentionMs = 60_000,
    };

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("compacted-0");

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open() => PartitionLog.Open(Dir, Compact, _time, NullLogger.Instance);

    private LogCleaner Cleaner(PartitionLog log) => new(CleanerOptions.Default, () => [log], _time, NullLogger.Instance);

    private static RecordBatchOptions Txn(long producerId, int sequence) =>
        new() { ProducerId = producerId, ProducerEpoch = 0, BaseSequence = sequence, IsTransactional = true };

    private static void Filler(PartitionLog log, int count = 300)
    {
        for (var i = 0; i < count; i += 10)
        {
            log.Append(KeyedBatches.Create(Enumerable.Range(i, 10).Select(n => ((string?)"filler", (string?)$"f{n}"))), 0);
        }
    }

    private static void CleanUntilIdle(LogCleaner cleaner)
    {
        for (var i = 0; i < 100 && cleaner.CleanFilthiestLog(TestContext.Current.CancellationToken) is { } stats; i++)
        {
            Assert.False(stats.Aborted);
        }
    }

    [Fact]
    public async Task AbortedRecords_AreRemoved_AndNeverSupersedeTheCommittedValue()
    {
        await using var log = Open();
        log.Append(KeyedBatches.One("a", "committed", options: Txn(5, 0)), 0);  // 0
        log.AppendTransactionMarker(5, 0, commit: true, coordinatorEpoch: 0);    // 1
        log.Append(KeyedBatches.One("a", "aborted", options: Txn(6, 0)), 0);    // 2
        log.Append(KeyedBatches.One("b", "aborted", options: Txn(6, 1)), 0);    // 3
        log.AppendTransactionMarker(6, 0, commit: false, coordinatorEpoch: 0);   // 4
        Filler(log);

        CleanUntilIdle(Cleaner(log));

        var records = KeyedBatches.ReadAll(log).Records;
        Assert.Contains(records, r => r is { Offset: 0, Key: "a", Value: "committed" });
        Assert.DoesNotContain(records, r => r.Value == "aborted");
        var abort = Assert.Single(log.AbortedTransactions(0, log.LogEndOffset));
        Assert.Equal((6L, 2L, 4L), (abort.ProducerId, abort.FirstOffset, abort.LastOffset));
    }

    [Fact]
    public async Task MarkersWithoutData_AreRemovedAfterTheirDeleteHorizon()
    {
        await using var log = Open();
        log.Append(KeyedBatches.One("a", "aborted", options: Txn(6, 0)), 0);    // 0
        log.AppendTransactionMarker(6, 0, commit: false, coordinatorEpoch: 0);   // 1
        Filler(log);
        var cleaner = Cleaner(log);

        CleanUntilIdle(cleaner); // removes the aborted records; the marker stays (its batches were met)
        Assert.Contains(KeyedBatches.ReadAll(log).Batches, b => b.IsControl && b.RecordCount == 1);

        Filler(log); // dirty again: the next clean finds the marker without data and stamps its delete horizon
        CleanUntilIdle(cleaner);
        var stamped = Assert.Single(KeyedBatches.ReadAll(log).Batches, b => b.IsControl);
        Assert.NotNull(stamped.DeleteHorizonMs);

        _time.Advance(TimeSpan.FromMilliseconds(Compact.DeleteRetentionMs + 1));
        Filler(log);
        CleanUntilIdle(cleaner);
        Assert.DoesNotContain(KeyedBatches.ReadAll(log).Batches, b => b.IsControl && b.RecordCount > 0);
    }

    [Fact]
    public async Task UndecidedTransaction_IsNotCleaned()
    {
        await using var log = Open();
        log.Append(KeyedBatches.One("a", "open-1", options: Txn(7, 0)), 0);
        Filler(log);
        log.Append(KeyedBatches.One("a", "open-2", options: Txn(7, 1)), 0);
        Filler(log);
        Assert.Equal(0, log.LastStableOffset);

        CleanUntilIdle(Cleaner(log));

        var records = KeyedBatches.ReadAll(log).Records;
        Assert.Equal(2 * 300 + 2, records.Count); // nothing at or after the last stable offset was compacted
    }
}
