using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// Consume-transform-produce exactly once (ReceiveExactlyOnce + SendTransactionally, and the async form) with
/// transactions aborted on purpose: the scenarios every broker runs (<see cref="ExactlyOnceTests"/> on the test broker,
/// <see cref="ExactlyOnceMockClusterTests"/> on librdkafka's mock cluster, so the SDK is not tuned to ours).
/// </summary>
/// <remarks>
/// Every output record carries the number of the transaction that wrote it (its sender and transaction), and only
/// records of transactions whose commit succeeded count: that is how read_committed would see the output, also on the
/// mock cluster, which does not hide aborted transactions. Where the broker hides them, the output is read with
/// read_committed as well and both views must agree.
/// </remarks>
public abstract class ExactlyOnceScenarios(ITestOutputHelper output)
{
    /// <summary>The partitions of every topic <see cref="CreateTopicAsync"/> makes (the mock cluster's fixed count).</summary>
    protected const int Partitions = MockClusterFixture.AutoCreatedPartitions;

    protected abstract string BootstrapServers { get; }

    /// <summary>Whether read_committed consumers skip aborted transactions on this broker (the mock cluster does not).</summary>
    protected abstract bool HidesAbortedTransactions { get; }

    /// <summary>A new topic of <see cref="Partitions"/> partitions.</summary>
    protected abstract Task<string> CreateTopicAsync();

    protected ITestOutputHelper Output => output;

    [Fact]
    public async Task ReceiveExactlyOnce_WithInjectedAborts_EveryInputRecordCommittedExactlyOnce()
    {
        const int records = 100_000;
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        var group = "eos-" + Guid.NewGuid().ToString("N");
        Produce(BootstrapServers, input, records, Partitions);
        var pipeline = new Pipeline(BootstrapServers, input, outputTopic, group, failEvery: 9);

        var member = pipeline.Start("a");
        await WaitUntil(() => pipeline.Processed >= records, TimeSpan.FromSeconds(120), () => $"every record processed in a committed transaction ({pipeline})");
        await member.DisposeAsync();

        var verdict = pipeline.Judge(records);
        Output.WriteLine($"{records} records, one member, every 9th batch failed on purpose: {verdict}");
        Assert.True(pipeline.Aborted > 0, "transactions were aborted on purpose");
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicates);
        Assert.Equal(records, verdict.Distinct);
        AssertReadCommittedAgrees(verdict);
    }

    /// <summary>
    /// After each abort the batches polled ahead come out empty (stale); SendTransactionally makes no transaction for
    /// them: the producer commits exactly the transactions that hold records, and nothing is lost or duplicated.
    /// </summary>
    [Fact]
    public async Task ReceiveExactlyOnce_BatchesPolledBeforeAnAbort_CommitNoEmptyTransactions()
    {
        const int records = 20_000;
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        var group = "eos-" + Guid.NewGuid().ToString("N");
        Produce(BootstrapServers, input, records, Partitions);
        var pipeline = new Pipeline(BootstrapServers, input, outputTopic, group, failEvery: 5);

        var member = pipeline.Start("a");
        var transactions = member.Transactions;
        await WaitUntil(() => pipeline.Processed >= records, TimeSpan.FromSeconds(120), () => $"every record processed in a committed transaction ({pipeline})");
        await member.DisposeAsync();
        await WaitUntil(() => pipeline.Settled, TestTimeout, () => $"every transaction's results end ({pipeline})");

        var verdict = pipeline.Judge(records);
        Output.WriteLine($"{records} records, every 5th batch failed on purpose: {transactions.Commits} transactions committed, {pipeline.Empty} batches came out empty " +
            $"({transactions.UnbegunEnds} transactions ended without a begin), {pipeline.Aborted} aborted; {verdict}");
        Assert.True(pipeline.Aborted > 0, "transactions were aborted on purpose");
        Assert.True(pipeline.Empty > 0, "batches polled before an abort came out empty");
        Assert.Equal(verdict.Committed, transactions.Commits);
        Assert.Equal(0, verdict.Lost);
        Assert.Equal(0, verdict.Duplicates);
        Assert.Equal(records, verdict.Distinct);
        AssertReadCommittedAgrees(verdict);
    }

    [Fact]
    public async Task ReceiveExactlyOnceAsync_BatchesCommittedAsTheLoopMovesOn_EveryInputRecordCommittedExactlyOnce()
    {
        const int records = 5_000;
        var input = await CreateTopicAsync();
        var outputTopic = await CreateTopicAsync();
        Produce(BootstrapServers, input, records, Partitions);
        var options = new ReceiverOptions<string, string>(ConsumerConfig(BootstrapServers)) { Topics = [input] };
        await using var sender = KafkaSender.Create(TransactionalOptions(BootstrapServers));
        var receiver = KafkaReceiver.Create(options);
        var yielded = new List<string>();
        var processed = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TestTimeout);
        await foreach (var batch in receiver.ReceiveExactlyOnceAsync(sender.TransactionManager, stop.Token))
        {
            Assert.True(sender.TransactionManager.IsInTransaction, "a transaction is open for the batch");
            var tag = $"{sender.TransactionManager.TransactionalId}/{sender.TransactionManager.CurrentTransaction}";
            yielded.Add(tag);
            // The batch's records in flight together (one at a time would wait a produce round trip each).
            await Task.WhenAll(batch.Select(record => sender.SendAsync(Transform(record, outputTopic, tag), stop.Token)));

            processed += batch.Count;
            if (processed >= records)
            {
                break; // leaving aborts the open (last) transaction: its records are not committed
            }
        }

        Assert.False(sender.TransactionManager.IsInTransaction, "leaving the enumeration aborted the open transaction");
        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken);
        var committedTags = yielded.Take(yielded.Count - 1).ToHashSet();
        var outputRecords = ReadAll(BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadUncommitted);
        var visible = outputRecords.Where(r => committedTags.Contains(Tag(r))).ToList();
        var lastBatch = outputRecords.Count(r => Tag(r) == yielded[^1]);
        Output.WriteLine($"{records} records; {yielded.Count} transactions; {outputRecords.Count} written, {visible.Count} committed, {lastBatch} in the aborted last one");
        Assert.Equal(records, processed);
        Assert.Equal(records - lastBatch, visible.Count);
        Assert.Equal(visible.Count, visible.Select(r => r.Message.Key).Distinct().Count());
        if (HidesAbortedTransactions)
        {
            var readCommitted = ReadAll(BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadCommitted);
            Assert.Equal(visible.Select(r => r.Message.Key).Order(), readCommitted.Select(r => r.Message.Key).Order());
        }
    }

    /// <summary>Where the broker hides aborted transactions, read_committed sees exactly the records of the committed ones.</summary>
    private protected void AssertReadCommittedAgrees(Verdict verdict)
    {
        if (HidesAbortedTransactions)
        {
            Assert.Equal(verdict.Visible, verdict.ReadCommitted);
        }
    }

    internal static SenderRecord<string, string, string> Transform(ConsumeResult<string, string> record, string topic, string tag) =>
        new(topic, record.Message.Key, record.Message.Value.ToUpperInvariant(), tag)
        {
            Headers = new Headers { { "txn", Encoding.UTF8.GetBytes(tag) } },
        };

    internal static string Tag(ConsumeResult<string, string> record) => Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("txn"));

    /// <summary>What read_committed sees of the output, judged against the input's keys.</summary>
    internal sealed record Verdict(int Written, int Visible, int ReadCommitted, int Distinct, int Duplicates, int Lost, long Committed, long Aborted)
    {
        public override string ToString() =>
            $"output: {Written} records written, {Visible} in committed transactions ({Committed} committed, {Aborted} aborted), {ReadCommitted} read with read_committed; " +
            $"{Distinct} distinct input records, {Duplicates} duplicates, {Lost} lost";
    }

    /// <summary>
    /// The pipeline under test, one member per <see cref="Start"/>: its own transactional sender and receiver of the
    /// group; every <c>failEvery</c>-th batch with records fails after they are sent (an injected abort).
    /// </summary>
    internal sealed class Pipeline(string bootstrapServers, string input, string outputTopic, string group, int failEvery)
    {
        private readonly ConcurrentDictionary<string, bool> _committed = new();
        private long _processed;
        private long _batches;
        private long _aborted;
        private long _empty;
        private long _sequences;
        private long _ended;

        public long Processed => Interlocked.Read(ref _processed);

        /// <summary>Transactions whose results completed with records.</summary>
        public long CommittedTransactions => _committed.Count;

        /// <summary>Result sequences that completed without a record (batches polled before an abort).</summary>
        public long Empty => Interlocked.Read(ref _empty);

        /// <summary>True when every result sequence emitted so far has ended (committed, empty or aborted).</summary>
        public bool Settled => Interlocked.Read(ref _ended) == Interlocked.Read(ref _sequences);

        public long Aborted => Interlocked.Read(ref _aborted);

        /// <summary>The error that ended a member's pipeline, if one did (the tests' wait messages show it).</summary>
        public Exception? Failure { get; private set; }

        public override string ToString() => $"{Processed} processed, {Aborted} aborted, {Interlocked.Read(ref _ended)} of {Interlocked.Read(ref _sequences)} result sequences ended, failure: {Failure?.ToString() ?? "none"}";

        /// <summary>Starts a member.</summary>
        /// <param name="name">Names the member's transactional id (unique per member: tags restart with each sender).</param>
        /// <param name="maxDelayRebalance">The receiver's <see cref="ReceiverOptions{TKey, TValue}.MaxDelayRebalance"/>.</param>
        /// <param name="hold">
        /// Called with each transaction's tag once its records are sent; a task it returns holds the transaction open
        /// (work in flight) until it completes.
        /// </param>
        public Member Start(string name, TimeSpan maxDelayRebalance = default, Func<string, Task?>? hold = null)
        {
            var sender = KafkaSender.Create(TransactionalOptions(bootstrapServers, $"{group}-{name}"));
            var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(ConsumerConfig(bootstrapServers, group))
            {
                Topics = [input],
                BufferSize = 500,
                MaxDelayRebalance = maxDelayRebalance,
            });
            var transactions = sender.TransactionManager;
            var subscription = sender.SendTransactionally(receiver.ReceiveExactlyOnce(transactions).Select(batch =>
                {
                    var sent = false;
                    var records = batch.Select(r => Transform(r, outputTopic, $"{transactions.TransactionalId}/{transactions.CurrentTransaction}")).Do(_ => sent = true);
                    if (hold is not null)
                    {
                        records = records.Concat(Observable.Defer(() =>
                            hold($"{transactions.TransactionalId}/{transactions.CurrentTransaction}") is { } held
                                ? Observable.FromAsync(() => held).SelectMany(_ => Observable.Empty<SenderRecord<string, string, string>>())
                                : Observable.Empty<SenderRecord<string, string, string>>()));
                    }

                    // Every failEvery-th batch with records fails once they are sent. A stale batch (polled before an abort,
                    // so empty) has nothing to abort and is not counted: counted, its aborts chained into a livelock on a
                    // loaded machine, where more than failEvery - 1 stale batches follow each abort.
                    return records.Concat(Observable.Defer(() => sent && Interlocked.Increment(ref _batches) % failEvery == 0
                        ? Observable.Throw<SenderRecord<string, string, string>>(new InvalidOperationException("injected"))
                        : Observable.Empty<SenderRecord<string, string, string>>()));
                }))
                .Subscribe(results =>
                {
                    Interlocked.Increment(ref _sequences);
                    string? tag = null;
                    long count = 0;
                    results.Subscribe(
                        result =>
                        {
                            tag = result.Correlation;
                            count++;
                        },
                        _ =>
                        {
                            Interlocked.Increment(ref _aborted);
                            Interlocked.Increment(ref _ended);
                        },
                        () =>
                        {
                            if (tag is not null)
                            {
                                _committed[tag] = true;
                                Interlocked.Add(ref _processed, count);
                            }
                            else
                            {
                                Interlocked.Increment(ref _empty);
                            }

                            Interlocked.Increment(ref _ended);
                        });
                }, error => Failure ??= error);
            return new Member(sender, receiver, subscription);
        }

        public Verdict Judge(int records)
        {
            var written = ReadAll(bootstrapServers, outputTopic, Partitions, IsolationLevel.ReadUncommitted);
            var visible = written.Where(r => _committed.ContainsKey(Tag(r))).ToList();
            var counts = visible.GroupBy(r => r.Message.Key).ToDictionary(g => g.Key, g => g.Count());
            var lost = Enumerable.Range(0, records).Count(i => !counts.ContainsKey("k" + i));
            var readCommitted = ReadAll(bootstrapServers, outputTopic, Partitions, IsolationLevel.ReadCommitted).Count;
            return new Verdict(written.Count, visible.Count, readCommitted, counts.Count, counts.Values.Sum(n => n - 1), lost, _committed.Count, Aborted);
        }
    }

    internal sealed class Member(KafkaSender<string, string> sender, KafkaReceiver<string, string> receiver, IDisposable subscription) : IAsyncDisposable
    {
        public KafkaTransactionManager Transactions => sender.TransactionManager;

        public async ValueTask DisposeAsync()
        {
            subscription.Dispose();
            await receiver.WhenReleasedAsync();
            await sender.DisposeAsync();
        }
    }
}
