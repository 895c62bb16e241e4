using ReactiveKafka.Broker.Tests.Groups;
using ReactiveKafka.Broker.Tests.Storage;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>The coordinator's state machine against Kafka's answers, on virtual time, over a real store.</summary>
public sealed class TransactionCoordinatorTests : IAsyncLifetime
{
    private static readonly TransactionPartition P0 = new("t", 0);
    private static readonly TransactionPartition P1 = new("t", 1);
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();
    private readonly FakeParticipants _participants = new();
    private readonly TransactionCoordinatorOptions _options = new()
    {
        MaxTimeout = TimeSpan.FromMinutes(15),
        AbortTimedOutInterval = TimeSpan.FromSeconds(10),
        TransactionalIdExpiration = TimeSpan.FromDays(7),
        RemoveExpiredInterval = TimeSpan.FromHours(1),
        CompletionWait = TimeSpan.FromSeconds(30),
    };

    private long _nextProducerId = 1000;
    private TransactionCoordinator _coordinator = null!;

    private CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _coordinator = Open();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _directory.Dispose();
    }

    private TransactionCoordinator Open(FakeParticipants? participants = null, string? directory = null)
    {
        var p = participants ?? _participants;
        var coordinator = new TransactionCoordinator(TransactionStore.Open(directory ?? _directory.Path), () => Interlocked.Increment(ref _nextProducerId), p, p, _options, _time);
        coordinator.Start();
        return coordinator;
    }

    /// <summary>What a kill -9 would leave: a copy of the transaction log as written so far (every write is fsync'd before it is acknowledged).</summary>
    private TempDirectory CrashCopy()
    {
        var copy = new TempDirectory();
        var target = Path.Combine(copy.Path, TransactionStore.DirectoryName);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(_directory.Path, TransactionStore.DirectoryName)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return copy;
    }

    private Task UntilStateAsync(TransactionState state, string what, TransactionCoordinator? coordinator = null) =>
        BrokerWait.UntilAsync(() => (coordinator ?? _coordinator).Get("tx")!.State == state, what);

    private async Task<InitProducerIdResult> InitAsync(string id = "tx", int timeoutMs = 60_000)
    {
        var result = await _coordinator.InitProducerIdAsync(id, timeoutMs, cancellationToken: Token);
        Assert.Equal(ErrorCode.None, result.Error);
        return result;
    }

    [Fact]
    public async Task InitProducerId_NewIdThenAgain_SameProducerIdNextEpoch()
    {
        var first = await InitAsync();
        var second = await InitAsync();

        Assert.Equal(0, first.ProducerEpoch);
        Assert.Equal(first.ProducerId, second.ProducerId);
        Assert.Equal(1, second.ProducerEpoch);
        Assert.Equal(TransactionState.Empty, _coordinator.Get("tx")!.State);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(15 * 60 * 1000 + 1)]
    [InlineData(int.MaxValue)]
    public async Task InitProducerId_TimeoutOutsideOneMsToMax_InvalidTransactionTimeout(int timeoutMs)
    {
        var result = await _coordinator.InitProducerIdAsync("tx", timeoutMs, cancellationToken: Token);

        Assert.Equal(new InitProducerIdResult(ErrorCode.InvalidTransactionTimeout, -1, -1), result);
        Assert.Null(_coordinator.Get("tx"));
    }

    [Fact]
    public async Task InitProducerId_EmptyId_InvalidRequest()
    {
        Assert.Equal(ErrorCode.InvalidRequest, (await _coordinator.InitProducerIdAsync("", 1000, cancellationToken: Token)).Error);
    }

    [Fact]
    public async Task Commit_WritesCommitMarkersToEveryPartitionCompletesGroupsAndEndsCompleteCommit()
    {
        var producer = await InitAsync();
        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0, P1], Token));
        Assert.Equal(ErrorCode.None, await _coordinator.AddOffsetsAsync("tx", producer.ProducerId, producer.ProducerEpoch, "group", Token));
        Assert.Equal(TransactionState.Ongoing, _coordinator.Get("tx")!.State);

        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token));
        await UntilStateAsync(TransactionState.CompleteCommit, "the markers are written in the background after EndTxn answered");

        Assert.Equal(
            [new WrittenMarker(P0, producer.ProducerId, 0, true), new WrittenMarker(P1, producer.ProducerId, 0, true)],
            _participants.Markers.OrderBy(m => m.Partition));
        Assert.Equal([("group", producer.ProducerId, true)], _participants.Groups);
        var completed = _coordinator.Get("tx")!;
        Assert.Equal(TransactionState.CompleteCommit, completed.State);
        Assert.Empty(completed.Partitions);
        Assert.Empty(completed.Groups);
    }

    [Fact]
    public async Task EndTxn_RetriesAndWrongDecisions_AnswerAsKafka()
    {
        var producer = await InitAsync();
        var (id, epoch) = (producer.ProducerId, producer.ProducerEpoch);

        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTransactionAsync("tx", id, epoch, commit: true, Token));
        await _coordinator.AddPartitionsAsync("tx", id, epoch, [P0], Token);
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("tx", id, epoch, commit: true, Token));
        await UntilStateAsync(TransactionState.CompleteCommit, "the commit completes");

        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("tx", id, epoch, commit: true, Token));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTransactionAsync("tx", id, epoch, commit: false, Token));
        Assert.Single(_participants.Markers);
    }

    [Fact]
    public async Task BadInput_UnknownIdOtherProducerIdOldEpochEmptyId_KafkaCodesAndStateUnchanged()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        var before = _coordinator.Get("tx");

        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.AddPartitionsAsync("nope", producer.ProducerId, 0, [P1], Token));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.AddPartitionsAsync("tx", producer.ProducerId + 1, 0, [P1], Token));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, 7, [P1], Token));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddOffsetsAsync("tx", producer.ProducerId, -1, "g", Token));
        Assert.Equal(ErrorCode.InvalidRequest, await _coordinator.AddPartitionsAsync("", producer.ProducerId, 0, [P1], Token));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.EndTransactionAsync("nope", 1, 0, true, Token));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTransactionAsync("tx", producer.ProducerId, 3, true, Token));

        Assert.Same(before, _coordinator.Get("tx"));
        Assert.Empty(_participants.Markers);
    }

    [Fact]
    public async Task InitProducerId_WhileOngoing_FencesAbortsWithBumpedEpochAndTheRetryGetsTheNextOne()
    {
        var zombie = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", zombie.ProducerId, zombie.ProducerEpoch, [P0], Token);

        var fencing = await _coordinator.InitProducerIdAsync("tx", 60_000, cancellationToken: Token);
        var retried = await InitAsync();

        Assert.Equal(ErrorCode.ConcurrentTransactions, fencing.Error);
        Assert.Equal([new WrittenMarker(P0, zombie.ProducerId, 1, false)], _participants.Markers);
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, zombie.ProducerId, 2), retried);
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTransactionAsync("tx", zombie.ProducerId, zombie.ProducerEpoch, commit: true, Token));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsAsync("tx", zombie.ProducerId, zombie.ProducerEpoch, [P1], Token));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _coordinator.VerifyPartition("tx", zombie.ProducerId, zombie.ProducerEpoch, P0));
    }

    [Fact]
    public async Task Timeout_OngoingPastItsTimeout_AbortedByTheCoordinatorWithBumpedEpoch()
    {
        var producer = await InitAsync(timeoutMs: 5_000);
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0, P1], Token);

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(0, _coordinator.AbortTimedOutTransactions());
        _time.Advance(TimeSpan.FromSeconds(10));
        await BrokerWait.UntilAsync(() => _coordinator.Get("tx")!.State == TransactionState.CompleteAbort, "the timed-out transaction is aborted");

        Assert.Equal(2, _participants.Markers.Count);
        Assert.All(_participants.Markers, m => Assert.Equal((false, (short)1), (m.Commit, m.Epoch)));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token));
    }

    [Fact]
    public async Task MarkerWriteFails_IsRetriedAndTheNextTransactionWaitsForIt()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        _participants.FailNext(2);

        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token));
        await BrokerWait.UntilAsync(() => _participants.Attempts >= 1, "the first marker attempt");
        Assert.Equal(TransactionState.PrepareCommit, _coordinator.Get("tx")!.State);

        var next = _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P1], Token).AsTask();
        Assert.Equal(ErrorCode.ConcurrentTransactions, (await _coordinator.InitProducerIdAsync("tx", 60_000, cancellationToken: Token)).Error);
        Assert.False(next.IsCompleted);
        await BrokerWait.UntilAsync(() => { _time.Advance(TimeSpan.FromMilliseconds(100)); return next.IsCompleted; }, "the next transaction's AddPartitionsToTxn after the retries");

        Assert.Equal(ErrorCode.None, await next);
        Assert.Equal(3, _participants.Attempts);
        Assert.Equal([new WrittenMarker(P0, producer.ProducerId, 0, true)], _participants.Markers);
        var current = _coordinator.Get("tx")!;
        Assert.Equal(TransactionState.Ongoing, current.State);
        Assert.Equal([P1], current.Partitions);
    }

    [Fact]
    public async Task CompletionWaitRunsOut_NextTransactionGetsConcurrentTransactions()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        _participants.Hang = true;
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token));

        var next = _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P1], Token).AsTask();
        await BrokerWait.UntilAsync(() => { _time.Advance(TimeSpan.FromSeconds(1)); return next.IsCompleted; }, "the wait runs out");

        Assert.Equal(ErrorCode.ConcurrentTransactions, await next);
        Assert.Equal(TransactionState.PrepareCommit, _coordinator.Get("tx")!.State);
    }

    [Fact]
    public async Task NextTransactionWithinTheCompleteWriteDelay_SupersedesThePrepareAndACrashWritesNoMarkerAgain()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token);
        await UntilStateAsync(TransactionState.CompleteCommit, "the commit completes");
        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P1], Token));

        using var crashed = CrashCopy();
        var restarted = new FakeParticipants();
        await using var after = Open(restarted, crashed.Path);

        var recovered = after.Get("tx")!;
        Assert.Equal(TransactionState.Ongoing, recovered.State);
        Assert.Equal([P1], recovered.Partitions);
        Assert.Empty(restarted.Markers);
    }

    [Fact]
    public async Task CrashBeforeTheDeferredComplete_RestartWritesTheMarkersAgain_AndAnIdleIdGetsItsCompleteWritten()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        await _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token);
        await UntilStateAsync(TransactionState.CompleteCommit, "the commit completes");
        var lengthBefore = TransactionStoreLength();

        using (var crashed = CrashCopy())
        {
            var restarted = new FakeParticipants();
            await using var after = Open(restarted, crashed.Path);
            await UntilStateAsync(TransactionState.CompleteCommit, "the PrepareCommit left in the log is completed", after);
            Assert.Equal([new WrittenMarker(P0, producer.ProducerId, 0, true)], restarted.Markers);
        }

        _time.Advance(_options.CompleteWriteDelay);
        await BrokerWait.UntilAsync(() => TransactionStoreLength() > lengthBefore, "the CompleteCommit of the idle id is persisted after the delay");
        using (var crashed = CrashCopy())
        {
            var restarted = new FakeParticipants();
            await using var after = Open(restarted, crashed.Path);
            Assert.Equal(TransactionState.CompleteCommit, after.Get("tx")!.State);
            Assert.Empty(restarted.Markers);
        }
    }

    private long TransactionStoreLength() =>
        new FileInfo(Path.Combine(_directory.Path, TransactionStore.DirectoryName, "transactions.log")).Length;

    [Fact]
    public async Task Restart_WithPrepareCommitLeftBehind_WritesTheMarkersAndCompletes()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0, P1], Token);
        _participants.Hang = true;
        var end = _coordinator.EndTransactionAsync("tx", producer.ProducerId, producer.ProducerEpoch, commit: true, Token).AsTask();
        await BrokerWait.UntilAsync(() => _participants.Attempts >= 1, "the marker write started");
        await _coordinator.DisposeAsync();
        Assert.Equal(ErrorCode.None, await end);
        Assert.Empty(_participants.Markers);

        var restarted = new FakeParticipants();
        _coordinator = Open(restarted);

        await BrokerWait.UntilAsync(() => _coordinator.Get("tx")!.State == TransactionState.CompleteCommit, "the transaction completes after the restart");
        Assert.Equal([P0, P1], restarted.Markers.Select(m => m.Partition).Order());
        Assert.All(restarted.Markers, m => Assert.True(m.Commit));
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, producer.ProducerId, 1), await InitAsync());
    }

    [Fact]
    public async Task Restart_OngoingTransaction_SurvivesAndIsAbortedByTheNextProducer()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        await _coordinator.DisposeAsync();
        _coordinator = Open();

        Assert.Equal(TransactionState.Ongoing, _coordinator.Get("tx")!.State);
        Assert.Equal(ErrorCode.ConcurrentTransactions, (await _coordinator.InitProducerIdAsync("tx", 60_000, cancellationToken: Token)).Error);
        Assert.Equal([new WrittenMarker(P0, producer.ProducerId, 1, false)], _participants.Markers);
    }

    [Fact]
    public async Task InitProducerId_ExpectedEpochs_Kip360BumpRetryAndFencing()
    {
        var first = await InitAsync();
        var bumped = await _coordinator.InitProducerIdAsync("tx", 60_000, first.ProducerId, first.ProducerEpoch, Token);
        var retry = await _coordinator.InitProducerIdAsync("tx", 60_000, first.ProducerId, first.ProducerEpoch, Token);
        var stale = await _coordinator.InitProducerIdAsync("tx", 60_000, first.ProducerId, 9, Token);
        var otherId = await _coordinator.InitProducerIdAsync("tx", 60_000, first.ProducerId + 50, 1, Token);

        Assert.Equal(new InitProducerIdResult(ErrorCode.None, first.ProducerId, 1), bumped);
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, first.ProducerId, 1), retry);
        Assert.Equal(ErrorCode.ProducerFenced, stale.Error);
        Assert.Equal(ErrorCode.ProducerFenced, otherId.Error);
    }

    [Fact]
    public async Task Expiry_IdleIdForgottenAndItsNextInitGetsANewProducerId()
    {
        var first = await InitAsync();
        await InitAsync("active");
        _time.Advance(TimeSpan.FromDays(6));
        await InitAsync("active");
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));

        await BrokerWait.UntilAsync(() => _coordinator.Get("tx") is null, "the idle id expires");
        Assert.NotNull(_coordinator.Get("active"));
        var again = await InitAsync();
        Assert.NotEqual(first.ProducerId, again.ProducerId);
        Assert.Equal(0, again.ProducerEpoch);

        await _coordinator.DisposeAsync();
        _coordinator = Open();
        Assert.Equal(again.ProducerId, _coordinator.Get("tx")!.ProducerId);
    }

    [Fact]
    public async Task ListAndDescribe_FilterByStateProducerAndDuration()
    {
        var a = await InitAsync("a");
        await InitAsync("b");
        await _coordinator.AddPartitionsAsync("a", a.ProducerId, a.ProducerEpoch, [P0], Token);
        _time.Advance(TimeSpan.FromSeconds(2));

        var (all, _) = _coordinator.List([], []);
        var (ongoing, unknown) = _coordinator.List([], ["Ongoing", "Bogus"]);
        var (byProducer, _) = _coordinator.List([a.ProducerId], []);
        var (longRunning, _) = _coordinator.List([], ["Ongoing"], minDurationMs: 1_000);
        var (tooLong, _) = _coordinator.List([], ["Ongoing"], minDurationMs: 5_000);

        Assert.Equal(["a", "b"], all.Select(t => t.TransactionalId));
        Assert.Equal("a", Assert.Single(ongoing).TransactionalId);
        Assert.Equal(["Bogus"], unknown);
        Assert.Equal("a", Assert.Single(byProducer).TransactionalId);
        Assert.Equal("a", Assert.Single(longRunning).TransactionalId);
        Assert.Empty(tooLong);
        var described = _coordinator.Describe("a")!;
        Assert.Equal(TransactionState.Ongoing, described.State);
        Assert.Equal([P0], described.Partitions);
        Assert.Null(_coordinator.Describe("missing"));
    }

    [Fact]
    public async Task Verify_PartitionsAndGroupsOfTheOngoingTransactionOnly()
    {
        var producer = await InitAsync();
        await _coordinator.AddPartitionsAsync("tx", producer.ProducerId, producer.ProducerEpoch, [P0], Token);
        await _coordinator.AddOffsetsAsync("tx", producer.ProducerId, producer.ProducerEpoch, "g", Token);

        Assert.Equal(ErrorCode.None, _coordinator.VerifyPartition("tx", producer.ProducerId, producer.ProducerEpoch, P0));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartition("tx", producer.ProducerId, producer.ProducerEpoch, P1));
        Assert.Equal(ErrorCode.None, _coordinator.VerifyGroup("tx", producer.ProducerId, producer.ProducerEpoch, "g"));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyGroup("tx", producer.ProducerId, producer.ProducerEpoch, "other"));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _coordinator.VerifyPartition("unknown", producer.ProducerId, 0, P0));
        var (error, partitions) = _coordinator.VerifyPartitions("tx", producer.ProducerId, producer.ProducerEpoch, [P0, P1]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.TransactionAbortable, partitions[P1]);
    }
}
