using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// The transaction manager and SendTransactionally against librdkafka's mock cluster (an independent broker that
/// serves transactions), read back with read_committed and read_uncommitted consumers.
/// </summary>
public sealed class KafkaTransactionManagerTests(MockClusterFixture mock, ITestOutputHelper output) : IClassFixture<MockClusterFixture>
{
    private const int Partitions = MockClusterFixture.AutoCreatedPartitions;

    [Fact]
    public async Task TransactionManager_WithoutTransactionalId_ThrowsNamingTheOption()
    {
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = mock.BootstrapServers }));
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
        var config = new ProducerConfig { BootstrapServers = mock.BootstrapServers };
        var empty = Assert.Throws<ArgumentException>(() => new SenderOptions<string, string>(config) { TransactionalId = " " });
        Assert.Equal("TransactionalId", empty.ParamName);
        var conflicting = new SenderOptions<string, string>(new ProducerConfig(new Dictionary<string, string> { ["transactional.id"] = "a" }) { BootstrapServers = mock.BootstrapServers })
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
        await using var sender = KafkaSender.Create(TransactionalOptions(mock.BootstrapServers));
        var transactions = sender.TransactionManager;
        var commit = await Assert.ThrowsAsync<InvalidOperationException>(() => transactions.CommitAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.CommitAsync", commit.Message);
        Assert.Contains("BeginAsync", commit.Message);
        var abort = await Assert.ThrowsAsync<InvalidOperationException>(() => transactions.AbortAsync(TestContext.Current.CancellationToken));
        Assert.Contains("KafkaTransactionManager.AbortAsync", abort.Message);
        using var consumer = new ConsumerBuilder<Null, Null>(new ConsumerConfig { BootstrapServers = mock.BootstrapServers, GroupId = "g" }).Build();
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
        var topic = "tx-" + Guid.NewGuid().ToString("N");
        await using var sender = KafkaSender.Create(TransactionalOptions(mock.BootstrapServers));
        var transactions = sender.TransactionManager;
        await transactions.BeginAsync(TestContext.Current.CancellationToken);
        await sender.CreateOutbound().Send(Records(topic, 0, 10)).ThenAsync(TestContext.Current.CancellationToken);
        await transactions.CommitAsync(TestContext.Current.CancellationToken);
        await transactions.Begin();
        await sender.CreateOutbound().Send(Records(topic, 10, 10)).ThenAsync(TestContext.Current.CancellationToken);
        await transactions.Abort();

        var committed = ReadAll(mock.BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        var everything = ReadAll(mock.BootstrapServers, topic, Partitions, IsolationLevel.ReadUncommitted);
        output.WriteLine($"read_committed {committed.Count}, read_uncommitted {everything.Count}");
        Assert.Equal(20, everything.Count);
        SkipUnlessAbortsAreFiltered(committed.Count, expected: 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + i).Order(), committed.Select(r => r.Message.Value).Order());
    }

    [Fact]
    public async Task SendTransactionally_OneSourceCompletesOneFails_TheFailedOneIsAbortedAndTheNextGoesOn()
    {
        var topic = "tx-" + Guid.NewGuid().ToString("N");
        await using var sender = KafkaSender.Create(TransactionalOptions(mock.BootstrapServers));
        var sources = new[]
        {
            Records(topic, 0, 100),
            Records(topic, 100, 100).Concat(Observable.Throw<SenderRecord<string, string, int>>(new InvalidOperationException("transform failed"))),
            Records(topic, 200, 100),
        };
        var outcomes = await sender.SendTransactionally(sources.ToObservable())
            .Select(results => results.Materialize().ToList())
            .Concat()
            .ToList()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(3, outcomes.Count);
        Assert.Equal(100, outcomes[0].Count(n => n.Kind == System.Reactive.NotificationKind.OnNext));
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, outcomes[0][^1].Kind);
        Assert.Equal("transform failed", outcomes[1][^1].Exception?.Message);
        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, outcomes[2][^1].Kind);
        Assert.Equal(300, ReadAll(mock.BootstrapServers, topic, Partitions, IsolationLevel.ReadUncommitted).Count);
        var committed = ReadAll(mock.BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        SkipUnlessAbortsAreFiltered(committed.Count, expected: 200);
        var expected = Enumerable.Range(0, 100).Concat(Enumerable.Range(200, 100)).Select(i => "v" + i).Order();
        Assert.Equal(expected, committed.Select(r => r.Message.Value).Order());
    }

    [Fact]
    public async Task SendTransactionally_AZombieWithTheSameTransactionalId_IsFencedAndNoneOfItsRecordsBecomeVisible()
    {
        var topic = "tx-" + Guid.NewGuid().ToString("N");
        var id = "zombie-" + Guid.NewGuid().ToString("N");
        await using var zombie = KafkaSender.Create(TransactionalOptions(mock.BootstrapServers, id));
        await using var successor = KafkaSender.Create(TransactionalOptions(mock.BootstrapServers, id));
        var sources = new System.Reactive.Subjects.Subject<IObservable<SenderRecord<string, string, int>>>();
        var outer = sender_Outcome(zombie.SendTransactionally(sources));
        var firstGate = new TaskCompletionSource();
        sources.OnNext(Records(topic, 0, 50).Concat(Observable.FromAsync(() => firstGate.Task).SelectMany(_ => Observable.Empty<SenderRecord<string, string, int>>())));
        await ReceiverTestKitWait(() => zombie.TransactionManager.IsInTransaction, "the zombie's transaction opens");

        // The successor's first transaction initializes the same transactional id: the zombie is fenced.
        await successor.TransactionManager.BeginAsync(TestContext.Current.CancellationToken);
        await successor.CreateOutbound().Send(Records(topic, 1000, 5)).ThenAsync(TestContext.Current.CancellationToken);
        await successor.TransactionManager.CommitAsync(TestContext.Current.CancellationToken);
        firstGate.SetResult();

        // librdkafka's mock cluster bumps the epoch at InitProducerId but does not check it at EndTxn (measured: the
        // zombie's commit succeeded): this test needs a broker that fences.
        await ReceiverTestKitWait(() => !zombie.TransactionManager.IsInTransaction, "the zombie's transaction ends");
        if (zombie.TransactionManager.FatalError is null && !outer.IsCompleted)
        {
            sources.OnCompleted();
            await outer.WaitAsync(TestTimeout, TestContext.Current.CancellationToken);
            Assert.Skip("The broker did not fence the zombie (librdkafka's mock cluster does not check producer epochs at EndTxn); run against the bundled broker with transactions.");
        }

        var finished = await Task.WhenAny(outer, Task.Delay(TestTimeout, TestContext.Current.CancellationToken));
        Assert.True(finished == outer, $"the zombie's sequence ends (in transaction {zombie.TransactionManager.IsInTransaction}, fatal {zombie.TransactionManager.FatalError?.Error})");
        var (inner, error) = await outer;
        output.WriteLine($"zombie's sequence ended with: {error}");
        var fenced = Assert.IsAssignableFrom<KafkaException>(error);
        Assert.True(fenced.Error.IsFatal || fenced.Error.Code is ErrorCode.ProducerFenced or ErrorCode.Local_Fenced, fenced.Error.ToString());
        Assert.NotNull(inner);
        Assert.NotNull(zombie.TransactionManager.FatalError);
        var committed = ReadAll(mock.BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
        Assert.Equal(Enumerable.Range(1000, 5).Select(i => "v" + i).Order(), committed.Select(r => r.Message.Value).Order());
        var later = await Assert.ThrowsAnyAsync<KafkaException>(() => zombie.TransactionManager.BeginAsync(TestContext.Current.CancellationToken));
        Assert.True(later.Error.IsFatal);

        static async Task<(Exception? Inner, Exception? Outer)> sender_Outcome(IObservable<IObservable<SenderResult<int>>> transactions)
        {
            Exception? inner = null;
            try
            {
                await transactions.Do(results => results.Subscribe(_ => { }, e => inner = e)).LastOrDefaultAsync();
                return (inner, null);
            }
            catch (Exception error)
            {
                return (inner, error);
            }
        }
    }

    /// <summary>
    /// librdkafka's mock cluster sends no aborted-transactions list in Fetch responses (measured: a read_committed
    /// consumer read the aborted records), so read_committed visibility can only be asserted on a broker that filters.
    /// </summary>
    private static void SkipUnlessAbortsAreFiltered(int readCommitted, int expected)
    {
        if (readCommitted > expected)
        {
            Assert.Skip($"The broker does not hide aborted transactions from read_committed consumers ({readCommitted} records read, {expected} committed): librdkafka's mock cluster does not; run against the bundled broker with transactions.");
        }
    }

    private static Task ReceiverTestKitWait(Func<bool> condition, string what) =>
        Receiver.ReceiverTestKit.WaitUntil(condition, TestTimeout, what);

    private static IObservable<SenderRecord<string, string, int>> Records(string topic, int start, int count) =>
        Observable.Range(start, count).Select(i => new SenderRecord<string, string, int>(topic, "k" + i, "v" + i, i));
}
