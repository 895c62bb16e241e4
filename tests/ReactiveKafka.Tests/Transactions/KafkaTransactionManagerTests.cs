using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// The transaction manager against the test broker (the bundled one by default, or the container or cluster that
/// <c>REACTIVEKAFKA_TEST_BROKER</c> names): every <see cref="TransactionManagerScenarios"/> scenario with read_committed
/// visibility asserted, and fencing of a zombie producer.
/// </summary>
public sealed class KafkaTransactionManagerTests(BundledBrokerFixture broker, ITestOutputHelper output)
    : TransactionManagerScenarios(output), IClassFixture<BundledBrokerFixture>
{
    protected override string BootstrapServers => broker.BootstrapServers;

    protected override bool HidesAbortedTransactions => true;

    protected override Task<string> CreateTopicAsync() => broker.CreateTopicAsync(Partitions);

    [Fact]
    public async Task SendTransactionally_AZombieWithTheSameTransactionalId_IsFencedAndNoneOfItsRecordsBecomeVisible()
    {
        var topic = await CreateTopicAsync();
        var id = "zombie-" + Guid.NewGuid().ToString("N");
        await using var zombie = KafkaSender.Create(TransactionalOptions(BootstrapServers, id));
        await using var successor = KafkaSender.Create(TransactionalOptions(BootstrapServers, id));
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

        // The zombie's commit reaches a broker that knows a newer epoch of its transactional id: it is fenced.
        var finished = await Task.WhenAny(outer, Task.Delay(TestTimeout, TestContext.Current.CancellationToken));
        Assert.True(finished == outer, $"the zombie's sequence ends (in transaction {zombie.TransactionManager.IsInTransaction}, fatal {zombie.TransactionManager.FatalError?.Error})");
        var (inner, error) = await outer;
        Output.WriteLine($"zombie's sequence ended with: {error}");
        var fenced = Assert.IsAssignableFrom<KafkaException>(error);
        Assert.True(fenced.Error.IsFatal || fenced.Error.Code is ErrorCode.ProducerFenced or ErrorCode.Local_Fenced, fenced.Error.ToString());
        Assert.NotNull(inner);
        Assert.NotNull(zombie.TransactionManager.FatalError);
        var committed = ReadAll(BootstrapServers, topic, Partitions, IsolationLevel.ReadCommitted);
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
}
