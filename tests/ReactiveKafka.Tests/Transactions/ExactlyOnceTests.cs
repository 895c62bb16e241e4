using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// Exactly-once consume-transform-produce against the test broker (the bundled one by default, or the container or
/// cluster that <c>REACTIVEKAFKA_TEST_BROKER</c> names): every <see cref="ExactlyOnceScenarios"/> scenario with the
/// output also read with read_committed, members of a group joining and leaving, and a revocation that aborts the open
/// transaction when <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/> runs out.
/// </summary>
public sealed class ExactlyOnceTests(BundledBrokerFixture broker, ITestOutputHelper output)
    : ExactlyOnceScenarios(output), IClassFixture<BundledBrokerFixture>
{
    protected override string BootstrapServers => broker.BootstrapServers;

    protected override bool HidesAbortedTransactions => true;

    protected override Task<string> CreateTopicAsync() => broker.CreateTopicAsync(Partitions);

    /// <summary>
    /// Three members join and leave (disposed cleanly; <see cref="ExactlyOnceCrashTests"/> kills them) while
    /// transactions are aborted on purpose. New owners start at the group's committed offsets, which are committed only
    /// through the transactions (TxnOffsetCommit).
    /// </summary>
    [Fact]
    public async Task ReceiveExactlyOnce_ThreeMembersJoinAndLeaveWithInjectedAborts_EveryInputRecordCommittedExactlyOnce()
    {
        const int records = 100_000;
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        var group = "eos-" + Guid.NewGuid().ToString("N");
        Produce(BootstrapServers, input, records, Partitions);
        var pipeline = new Pipeline(BootstrapServers, input, outputTopic, group, failEvery: 9);

        var a = pipeline.Start("a");
        await WaitUntil(() => pipeline.Processed >= records / 5, TestTimeout, () => $"a alone ({pipeline})");
        var b = pipeline.Start("b");
        await WaitUntil(() => pipeline.Processed >= 2 * records / 5, TestTimeout, () => $"b joins ({pipeline.Processed})");
        var c = pipeline.Start("c");
        await WaitUntil(() => pipeline.Processed >= 3 * records / 5, TestTimeout, () => $"c joins ({pipeline.Processed})");
        await a.DisposeAsync();
        await WaitUntil(() => pipeline.Processed >= 4 * records / 5, TestTimeout, () => $"a left ({pipeline.Processed})");
        await b.DisposeAsync();
        await WaitUntil(() => CommittedSumOnceStable(BootstrapServers, group, input, Partitions) == records, TimeSpan.FromSeconds(120),
            () => $"the group's committed offsets reach the input's end ({string.Join(", ", CommittedOffsets(BootstrapServers, group, input, Partitions))})");
        await c.DisposeAsync();

        var verdict = pipeline.Judge(records);
        Output.WriteLine(verdict.ToString());
        Assert.True(pipeline.Aborted > 0, "transactions were aborted on purpose");
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicates);
        Assert.Equal(records, verdict.Distinct);
        AssertReadCommittedAgrees(verdict);
    }

    /// <summary>
    /// The caller filters every record out: nothing is sent, yet each batch's offsets still go into a transaction that
    /// commits (a batch with offsets only is not an empty one), so the group's committed offsets reach the input's end.
    /// </summary>
    [Fact]
    public async Task ReceiveExactlyOnce_EveryRecordFilteredOut_OffsetsStillCommittedInTransactions()
    {
        const int records = 5_000;
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        var group = "eos-" + Guid.NewGuid().ToString("N");
        Produce(BootstrapServers, input, records, Partitions);
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var transactions = sender.TransactionManager;
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(ConsumerConfig(BootstrapServers, group)) { Topics = [input], BufferSize = 200 });
        long completed = 0;
        Exception? failure = null;
        var subscription = sender.SendTransactionally(receiver.ReceiveExactlyOnce(transactions)
                .Select(batch => batch.Where(static _ => false).Select(r => ExactlyOnceScenarios.Transform(r, outputTopic, "none"))))
            .Subscribe(results => results.Subscribe(static _ => { }, error => failure ??= error, () => Interlocked.Increment(ref completed)), error => failure ??= error);
        await WaitUntil(() => CommittedSumOnceStable(BootstrapServers, group, input, Partitions) == records, TestTimeout,
            () => $"the group's committed offsets reach the input's end ({string.Join(", ", CommittedOffsets(BootstrapServers, group, input, Partitions))}; " +
                $"{transactions.Commits} commits, failure: {failure?.ToString() ?? "none"})");
        subscription.Dispose();
        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken);

        Output.WriteLine($"{records} records filtered out: {transactions.Commits} transactions committed offsets only, {Interlocked.Read(ref completed)} result sequences completed");
        Assert.Null(failure);
        Assert.True(transactions.Commits > 0, "the offsets were committed in transactions");
        Assert.Empty(ReadAll(BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadUncommitted));
    }

    /// <summary>
    /// A member holds a transaction open (work in flight) far longer than its MaxDelayRebalance when a second member
    /// joins: the revocation aborts that transaction once the delay runs out instead of waiting for the work, its
    /// records (already written) never become visible to read_committed, and the partitions' owners after the
    /// rebalance process them again: the output still holds every input record exactly once.
    /// </summary>
    [Fact]
    public async Task ReceiveExactlyOnce_RevocationWhileWorkOutlastsMaxDelayRebalance_AbortsTheTransactionAndItsRecordsAreReprocessedOnce()
    {
        const int records = 4_000;
        var maxDelay = TimeSpan.FromSeconds(1);
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        var group = "eos-" + Guid.NewGuid().ToString("N");
        Produce(BootstrapServers, input, records, Partitions);
        var pipeline = new Pipeline(BootstrapServers, input, outputTopic, group, failEvery: int.MaxValue);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? held = null;
        var a = pipeline.Start("a", maxDelay, hold: tag => pipeline.Processed >= records / 10 && Interlocked.CompareExchange(ref held, tag, null) is null ? gate.Task : null);
        await WaitUntil(() => held is not null, TestTimeout, () => $"a holds a transaction open ({pipeline})");
        var heldTag = Volatile.Read(ref held)!;
        var heldTransaction = long.Parse(heldTag.AsSpan(heldTag.LastIndexOf('/') + 1), System.Globalization.CultureInfo.InvariantCulture);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var b = pipeline.Start("b", maxDelay);

        // The work is still held: only the revocation can end the transaction, and it must not wait for the work.
        await WaitUntil(() => pipeline.Aborted >= 1 || a.Transactions.CurrentTransaction != heldTransaction, TestTimeout,
            () => $"the revocation aborts a's held transaction {heldTag} ({pipeline})");
        var abortedAfter = clock.Elapsed;
        Assert.False(gate.Task.IsCompleted);
        gate.SetResult();
        await WaitUntil(() => CommittedSumOnceStable(BootstrapServers, group, input, Partitions) == records, TimeSpan.FromSeconds(90),
            () => $"the group's committed offsets reach the input's end ({string.Join(", ", CommittedOffsets(BootstrapServers, group, input, Partitions))}; {pipeline})");
        await a.DisposeAsync();
        await b.DisposeAsync();

        var verdict = pipeline.Judge(records);
        var written = ReadAll(BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadUncommitted);
        var committed = ReadAll(BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadCommitted);
        var heldKeys = written.Where(r => Tag(r) == heldTag).Select(r => r.Message.Key).ToHashSet();
        var reprocessed = committed.Where(r => heldKeys.Contains(r.Message.Key)).ToList();
        Output.WriteLine($"{records} records, MaxDelayRebalance {maxDelay.TotalSeconds} s, work held until the abort: transaction {heldTag} of {heldKeys.Count} records aborted " +
            $"{abortedAfter.TotalMilliseconds:F0} ms after the second member started; its records were processed again in {reprocessed.Select(Tag).Distinct().Count()} " +
            $"transactions ({reprocessed.Count(r => Tag(r).StartsWith(group + "-b/", StringComparison.Ordinal))} by the new member); {verdict}");
        Assert.NotEmpty(heldKeys);
        Assert.DoesNotContain(committed, r => Tag(r) == heldTag);
        Assert.Equal(heldKeys.Order(), reprocessed.Select(r => r.Message.Key).Order());
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicates);
        Assert.Equal(records, verdict.Distinct);
        AssertReadCommittedAgrees(verdict);
    }
}
