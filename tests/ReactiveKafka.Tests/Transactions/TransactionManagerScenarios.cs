using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// The transaction manager and SendTransactionally, read back with read_committed and read_uncommitted consumers: the
/// scenarios every broker runs (<see cref="KafkaTransactionManagerTests"/> on the test broker,
/// <see cref="KafkaTransactionManagerMockClusterTests"/> on librdkafka's mock cluster, so the SDK is not tuned to ours).
/// </summary>
public abstract class TransactionManagerScenarios(ITestOutputHelper output)
{
    /// <summary>The partitions of every topic <see cref="CreateTopicAsync"/> makes (the mock cluster's fixed count).</summary>
    protected const int Partitions = MockClusterFixture.AutoCreatedPartitions;

    protected abstract string BootstrapServers { get; }

    /// <summary>
    /// Whether read_committed consumers skip aborted transactions on this broker (librdkafka's mock cluster sends no
    /// aborted-transactions list in Fetch responses: measured, a read_committed consumer read the aborted records).
    /// </summary>
    protected abstract bool HidesAbortedTransactions { get; }

    /// <summary>A new topic of <see cref="Partitions"/> partitions.</summary>
    protected abstract Task<string> CreateTopicAsync();

    protected ITestOutputHelper Output => output;

    [Fact]
    public async Task TransactionManager_WithoutTransactionalId_ThrowsNamingTheOption()
    {
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = BootstrapServers }));
        var error = Assert.Throws<InvalidOperationException>(() => sender.TransactionManager);
        Assert.Contains("KafkaSender.TransactionManager", error.Message);
        Assert.Contains("SenderOptions.TransactionalId", error.Message);
        var send = Assert.Throws<InvalidOperationException>(() => sender.SendTransactionally(Observable.Empty<IObservable<SenderRecord<string, string, int>>>()));
        Assert.Contains("KafkaSender.SendTransactionally", send.Message);
        Assert.Contains("SenderOptions.TransactionalId", send.Message);
    }

    [Fact]
    public void TransactionalId_EmptyOrConflicting_ThrowsNamingTheOption()
    {
        var config = new ProducerConfig { BootstrapServers = BootstrapServers };
        var empty = Assert.Throws<ArgumentException>(() => new SenderOptions<string, string>(config) { TransactionalId = " " });
        Assert.Equal("TransactionalId", empty.ParamName);
        var conflicting = new SenderOptions<string, string>(new ProducerConfig(new Dictionary<string, string> { ["transactional.id"] = "a" }) { BootstrapServers = BootstrapServers })
        {
            TransactionalId = "b",
        };
        var error = Assert.Throws<ArgumentException>(() => KafkaSender.Create(conflicting));
        Assert.Equal("TransactionalId", error.ParamName);
        Assert.Equal("a", new SenderOptions<string, string>(new ProducerConfig(new Dictionary<string, string> { ["transactional.id"] = "a" })).TransactionalId);
    }

    [Fact]
    public async Task CallsOutOfOrder_ThrowNamingTheCall()
    {
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var transactions = sender.TransactionManager;
        var commit = await Assert.ThrowsAsync<InvalidOperationException>(() => transactions.CommitAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.CommitAsync", commit.Message);
        Assert.Contains("BeginAsync", commit.Message);
        var abort = await Assert.ThrowsAsync<InvalidOperationException>(() => transactions.AbortAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.AbortAsync", abort.Message);
        using var consumer = new ConsumerBuilder<Null, Null>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = "g" }).Build();
        var offsets = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            transactions.SendOffsetsAsync([new TopicPartitionOffset("t", 0, 1)], consumer.ConsumerGroupMetadata, TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.SendOffsetsAsync", offsets.Message);

        await transactions.BeginAsync(TestContext.Current.CancellationToken);
        Assert.True(transactions.IsInTransaction);
        var nested = await Assert.ThrowsAsync<InvalidOperationException>(() => transactions.BeginAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.BeginAsync", nested.Message);
        Assert.Contains("already open", nested.Message);
        await transactions.AbortAsync(TestContext.Current.CancellationToken);
        Assert.False(transactions.IsInTransaction);
    }

    [Fact]
    public async Task BeginSendCommit_ThenBeginSendAbort_OnlyTheCommittedRecordsAreVisibleToReadCommitted()
    {
        var topic = await CreateTopicAsync();
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var transactions = sender.TransactionManager;
        await transactions.BeginAsync(TestContext.Current.CancellationToken);
        await sender.CreateOutbound().Send(Records(topic, 0, 10)).ThenAsync(TestContext.Current.CancellationToken);
        await transactions.CommitAsync(TestContext.Current.CancellationToken);
        await transactions.Begin();
        await sender.CreateOutbound().Send(Records(topic, 10, 10)).ThenAsync(TestContext.Current.CancellationToken);
        await transactions.Abort();

        var committed = ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        var everything = ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadUncommitted);
        Output.WriteLine($"read_committed {committed.Count}, read_uncommitted {everything.Count}");
        Assert.Equal(20, everything.Count);
        if (!HidesAbortedTransactions)
        {
            return;
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + i).Order(), committed.Select(r => r.Message.Value).Order());
    }

    [Fact]
    public async Task SendTransactionally_OneSourceCompletesOneFails_TheFailedOneIsAbortedAndTheNextGoesOn()
    {
        var topic = await CreateTopicAsync();
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var sources = new[]
        {
            Records(topic, 0, 100),
            Records(topic, 100, 100).Concat(Observable.Throw<SenderRecord<string, string, int>>(new InvalidOperationException("transform failed"))),
            Records(topic, 200, 100),
        };
        var outcomes = await OutcomesAsync(sender, sources);

        Assert.Equal(3, outcomes.Count);
        Assert.Equal(100, outcomes[0].Count(n => n.Kind == System.Reactive.NotificationKind.OnNext));
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, outcomes[0][^1].Kind);
        Assert.Equal("transform failed", outcomes[1][^1].Exception?.Message);
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, outcomes[2][^1].Kind);
        Assert.Equal(300, ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadUncommitted).Count);
        var committed = ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        if (!HidesAbortedTransactions)
        {
            return;
        }

        var expected = Enumerable.Range(0, 100).Concat(Enumerable.Range(200, 100)).Select(i => "v" + i).Order();
        Assert.Equal(expected, committed.Select(r => r.Message.Value).Order());
    }

    /// <summary>
    /// A source with no record (a stale exactly-once batch looks like this) and one that fails before its first record
    /// make no transaction in the producer: no begin and no commit or abort call, while the sources around them commit
    /// as usual.
    /// </summary>
    [Fact]
    public async Task SendTransactionally_SourcesWithoutRecords_BeginAndCommitNothingAndTheOthersGoOn()
    {
        var topic = await CreateTopicAsync();
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var transactions = sender.TransactionManager;
        var sources = new[]
        {
            Records(topic, 0, 10),
            Observable.Empty<SenderRecord<string, string, int>>(),
            Records(topic, 10, 10),
            Observable.Throw<SenderRecord<string, string, int>>(new InvalidOperationException("failed before any record")),
            Records(topic, 20, 10),
            Records(topic, 30, 200).ObserveOn(System.Reactive.Concurrency.TaskPoolScheduler.Default), // emits while the begin is on its way
        };
        var outcomes = await OutcomesAsync(sender, sources);

        Output.WriteLine($"{outcomes.Count} sources: {transactions.Commits} transactions committed, {transactions.UnbegunEnds} ended without a begin");
        Assert.Equal(6, outcomes.Count);
        Assert.Equal([10, 0, 10, 0, 10, 200], outcomes.Select(o => o.Count(n => n.Kind == System.Reactive.NotificationKind.OnNext)));
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, Assert.Single(outcomes[1]).Kind);
        Assert.Equal("failed before any record", Assert.Single(outcomes[3]).Exception?.Message);
        Assert.Equal(4, transactions.Commits);
        Assert.Equal(2, transactions.UnbegunEnds);
        Assert.False(transactions.IsInTransaction);
        var read = ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        Assert.Equal(Enumerable.Range(0, 230).Select(i => "v" + i).Order(), read.Select(r => r.Message.Value).Order());

        // Records held while the transaction was being begun go out in the source's order: each partition holds them ascending.
        foreach (var partition in read.GroupBy(r => r.Partition.Value))
        {
            var sequence = partition.OrderBy(r => r.Offset.Value).Select(r => int.Parse(r.Message.Value.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequence.Order(), sequence);
        }
    }

    /// <summary>Runs <paramref name="sources"/> through SendTransactionally: each transaction's results, materialized, in order.</summary>
    protected static Task<IList<IList<System.Reactive.Notification<SenderResult<int>>>>> OutcomesAsync(
        KafkaSender<string, string> sender, IObservable<SenderRecord<string, string, int>>[] sources) =>
        sender.SendTransactionally(sources.ToObservable())
            .Select(results => results.Materialize().ToList())
            .Concat()
            .ToList()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

    protected static Task ReceiverTestKitWait(Func<bool> condition, string what) =>
        Receiver.ReceiverTestKit.WaitUntil(condition, TestTimeout, what);

    protected static IObservable<SenderRecord<string, string, int>> Records(string topic, int start, int count) =>
        Observable.Range(start, count).Select(i => new SenderRecord<string, string, int>(topic, "k" + i, "v" + i, i));
}
