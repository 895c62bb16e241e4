using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Storage.Producers;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Producers;

/// <summary>Sequence and epoch checks of idempotent producers on a partition log, and their survival across a reopen.</summary>
public sealed class ProducerStateTests : IDisposable
{
    private static readonly LogConfig Os = LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem };
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();

    private string Dir => _temp.Combine("t-0");

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig? config = null) => PartitionLog.Open(Dir, config ?? Os, _time, NullLogger.Instance);

    [Fact]
    public async Task Retry_OfAnAppendedBatch_IsAnsweredWithItsOriginalOffsetsAndNotAppendedAgain()
    {
        await using var log = Open();
        log.Append(TestBatches.Create(2), _time.NowMs);
        var first = log.Append(ProducerBatches.Idempotent(7, 0, 0, records: 3), _time.NowMs);
        var second = log.Append(ProducerBatches.Idempotent(7, 0, 3, records: 2), _time.NowMs);

        var retryOfFirst = log.Append(ProducerBatches.Idempotent(7, 0, 0, records: 3), _time.NowMs);
        var retryOfSecond = log.Append(ProducerBatches.Idempotent(7, 0, 3, records: 2), _time.NowMs);

        Assert.Equal((ErrorCode.None, 2L, 4L), (first.Error, first.BaseOffset, first.LastOffset));
        Assert.Equal((ErrorCode.None, 2L, 4L), (retryOfFirst.Error, retryOfFirst.BaseOffset, retryOfFirst.LastOffset));
        Assert.Equal((ErrorCode.None, 5L, 6L), (retryOfSecond.Error, retryOfSecond.BaseOffset, retryOfSecond.LastOffset));
        Assert.Equal(second.BaseOffset, retryOfSecond.BaseOffset);
        Assert.Equal(7, log.LogEndOffset);
    }

    [Fact]
    public async Task Gap_InSequence_IsOutOfOrderSequenceNumber_AndNothingIsAppended()
    {
        await using var log = Open();
        log.Append(ProducerBatches.Idempotent(7, 0, 0), _time.NowMs);

        var gap = log.Append(ProducerBatches.Idempotent(7, 0, 2), _time.NowMs);

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Contains("Out of order sequence number for producer 7", gap.Message);
        Assert.Equal(1, log.LogEndOffset);
        Assert.Equal(ErrorCode.None, log.Append(ProducerBatches.Idempotent(7, 0, 1), _time.NowMs).Error);
    }

    [Fact]
    public async Task OlderEpoch_IsInvalidProducerEpoch_NewEpochMustStartAtZero()
    {
        await using var log = Open();
        log.Append(ProducerBatches.Idempotent(7, 1, 0), _time.NowMs);

        var old = log.Append(ProducerBatches.Idempotent(7, 0, 1), _time.NowMs);
        var newEpochMidSequence = log.Append(ProducerBatches.Idempotent(7, 2, 5), _time.NowMs);
        var newEpoch = log.Append(ProducerBatches.Idempotent(7, 2, 0), _time.NowMs);

        Assert.Equal(ErrorCode.InvalidProducerEpoch, old.Error);
        Assert.Contains("which is smaller than the last seen epoch 1", old.Message);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, newEpochMidSequence.Error);
        Assert.Equal(ErrorCode.None, newEpoch.Error);
        Assert.Equal(2, log.LogEndOffset);
    }

    [Fact]
    public async Task UnknownProducer_MayStartAtAnySequence_AsKafkaSinceKip360()
    {
        await using var log = Open();

        var first = log.Append(ProducerBatches.Idempotent(9, 3, 42), _time.NowMs);

        Assert.Equal(ErrorCode.None, first.Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(ProducerBatches.Idempotent(9, 3, 44), _time.NowMs).Error);
        Assert.Equal(ErrorCode.None, log.Append(ProducerBatches.Idempotent(9, 3, 43), _time.NowMs).Error);
    }

    [Fact]
    public async Task OnlyTheLastFiveBatches_AreRecognisedAsRetries()
    {
        await using var log = Open();
        for (var seq = 0; seq < 6; seq++)
        {
            log.Append(ProducerBatches.Idempotent(7, 0, seq), _time.NowMs);
        }

        var retryOfSixthToLast = log.Append(ProducerBatches.Idempotent(7, 0, 0), _time.NowMs);
        var retryOfFifthToLast = log.Append(ProducerBatches.Idempotent(7, 0, 1), _time.NowMs);

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, retryOfSixthToLast.Error);
        Assert.Equal((ErrorCode.None, 1L), (retryOfFifthToLast.Error, retryOfFifthToLast.BaseOffset));
    }

    [Fact]
    public async Task ClientControlBatch_AndSequenceLessProducerBatch_AreInvalidRecord()
    {
        await using var log = Open();
        var control = new ReactiveKafka.Protocol.Records.RecordBatchBuilder(new() { ProducerId = 1, ProducerEpoch = 0, IsControl = true, IsTransactional = true })
            .Append(0, new byte[4], new byte[6]).ToArray();

        Assert.Equal(ErrorCode.InvalidRecord, log.Append(control, _time.NowMs).Error);
        Assert.Equal(ErrorCode.InvalidRecord, log.Append(ProducerBatches.Idempotent(1, 0, -1), _time.NowMs).Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retries_AreRecognisedAfterReopen_FromTheSnapshotOrByReplayingTheLog(bool keepSnapshots)
    {
        await using (var log = Open())
        {
            log.Append(ProducerBatches.Idempotent(7, 0, 0, records: 3), _time.NowMs);
            log.Append(ProducerBatches.Idempotent(7, 0, 3), _time.NowMs);
        }

        Assert.NotEmpty(ProducerSnapshotFile.List(Dir));
        if (!keepSnapshots)
        {
            foreach (var (_, path) in ProducerSnapshotFile.List(Dir))
            {
                File.Delete(path); // as after a kill -9 before any snapshot: the log is replayed
            }
        }

        await using var reopened = Open();
        var retry = reopened.Append(ProducerBatches.Idempotent(7, 0, 0, records: 3), _time.NowMs);
        var gap = reopened.Append(ProducerBatches.Idempotent(7, 0, 9), _time.NowMs);
        var next = reopened.Append(ProducerBatches.Idempotent(7, 0, 4), _time.NowMs);

        Assert.Equal((ErrorCode.None, 0L, 2L), (retry.Error, retry.BaseOffset, retry.LastOffset));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Equal((ErrorCode.None, 4L), (next.Error, next.BaseOffset));
    }

    [Fact]
    public async Task DamagedSnapshot_IsDeletedAndTheLogReplayed()
    {
        await using (var log = Open())
        {
            log.Append(ProducerBatches.Idempotent(7, 0, 0), _time.NowMs);
        }

        var (_, path) = ProducerSnapshotFile.List(Dir)[^1];
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(path, bytes);

        await using var reopened = Open();

        Assert.Equal(1, reopened.ProducerCount);
        Assert.Equal(0L, reopened.Append(ProducerBatches.Idempotent(7, 0, 0), _time.NowMs).BaseOffset);
    }

    [Fact]
    public async Task IdleProducer_ExpiresAfterProducerIdExpiration_ThenAnySequenceIsAccepted()
    {
        await using var log = Open(Os with { ProducerIdExpirationMs = 60_000 });
        log.Append(ProducerBatches.Idempotent(7, 0, 0, timestamp: _time.NowMs), _time.NowMs);

        Assert.Equal(0, log.ExpireProducers(_time.NowMs + 59_999));
        Assert.Equal(1, log.ExpireProducers(_time.NowMs + 60_000));

        Assert.Equal(0, log.ProducerCount);
        Assert.Equal(ErrorCode.None, log.Append(ProducerBatches.Idempotent(7, 0, 17), _time.NowMs).Error);
    }

    [Fact]
    public void Allocator_NeverReusesAnId_AcrossReopens()
    {
        var first = ProducerIdAllocator.Open(_temp.Path);
        var a = Enumerable.Range(0, 3).Select(_ => first.Allocate()).ToList();

        var second = ProducerIdAllocator.Open(_temp.Path); // as after a crash: the rest of the block is skipped
        var b = second.Allocate();

        Assert.Equal([0L, 1L, 2L], a);
        Assert.Equal(ProducerIdAllocator.BlockSize, b);
    }

    [Fact]
    public void Allocator_RefusesAnUnreadableBlockFile()
    {
        File.WriteAllText(Path.Combine(_temp.Path, ProducerIdAllocator.FileName), "garbage");

        var error = Assert.Throws<InvalidDataException>(() => ProducerIdAllocator.Open(_temp.Path));

        Assert.Contains(ProducerIdAllocator.FileName, error.Message);
    }
}
