using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using ReactiveKafka.Testing;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using static ReactiveKafka.Tests.Transactions.TransactionTestKit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// Issue 14's headline test: consume-transform-produce exactly once while three members (child processes running
/// <c>CrashWorker eos</c>) join, leave and are killed with kill -9 mid-transaction, with transactions aborted on purpose
/// by the members (every 5th batch fails) and by the broker (injected Produce, TxnOffsetCommit and lost EndTxn
/// responses, on the bundled broker). The output, read with read_committed, must hold every input record exactly once.
/// </summary>
/// <remarks>
/// <see cref="RecordsVariable"/> scales the input (default 100,000). Against a container or an external cluster
/// (<c>REACTIVEKAFKA_TEST_BROKER</c>) the broker faults are left out: the members' own failures and the kills remain.
/// </remarks>
public sealed class ExactlyOnceCrashTests(BundledBrokerFixture broker, ITestOutputHelper output) : IClassFixture<BundledBrokerFixture>
{
    /// <summary>The environment variable that sets the number of input records.</summary>
    public const string RecordsVariable = "REACTIVEKAFKA_EOS_CRASH_RECORDS";

    private const int Partitions = 6;
    /// <summary>A broker fault is armed after every so many transactions with records committed.</summary>
    private const int FaultEvery = 3;

    /// <summary>Every so many batches a member fails one on purpose after sending its records.</summary>
    private const int FailEvery = 5;

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ReceiveExactlyOnce_MembersJoinLeaveAndAreKilledWithAbortsInjected_ReadCommittedHoldsEveryRecordExactlyOnce()
    {
        var records = int.TryParse(Environment.GetEnvironmentVariable(RecordsVariable), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 100_000;
        var clock = Stopwatch.StartNew();
        var timeline = new List<string>();
        var input = await broker.CreateTopicAsync(Partitions);
        var outputTopic = await broker.CreateTopicAsync(Partitions);
        var group = "eos-crash-" + Guid.NewGuid().ToString("N");
        Produce(broker.BootstrapServers, input, records, Partitions);
        var workers = new System.Collections.Concurrent.ConcurrentQueue<CrashWorkerProcess>(); // read by the fault injector too
        var faults = broker.Broker.Kind == KafkaTestBrokerKind.Bundled ? broker.Broker.Faults : null;
        using var stopFaults = new CancellationTokenSource();
        long Transactions() => workers.Sum(w => w.Lines.Count(l => l.StartsWith("COMMITTED ", StringComparison.Ordinal) && !l.StartsWith("COMMITTED - 0", StringComparison.Ordinal)));
        var injecting = faults is null ? Task.FromResult(0) : InjectFaultsAsync(faults, outputTopic, Transactions, stopFaults.Token);
        long Committed() => workers.Sum(w => w.Lines.Where(l => l.StartsWith("COMMITTED ", StringComparison.Ordinal)).Sum(l => long.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture)));
        string Describe() => $"{Committed()} committed; {string.Join("; ", workers.Select(w => w.Describe()))}";
        CrashWorkerProcess Start(string name)
        {
            var worker = CrashWorkerProcess.Start(name, "eos", broker.BootstrapServers, input, outputTopic, group, $"{group}-{name}", FailEvery.ToString(CultureInfo.InvariantCulture));
            workers.Enqueue(worker);
            return worker;
        }

        // A killed member's open transaction keeps its offsets pending (unstable) until its timeout aborts it: the
        // offset fetch then times out, which means "not yet", not a failure of the test.
        long CommittedSum() => CommittedSumOnceStable(broker.BootstrapServers, group, input, Partitions);

        static bool Works(CrashWorkerProcess w) => w.Lines.Any(l => l.StartsWith("COMMITTED ", StringComparison.Ordinal) && !l.StartsWith("COMMITTED - 0", StringComparison.Ordinal));
        bool Failed() => workers.Any(w => w.Lines.Any(l => l.StartsWith("FAILED", StringComparison.Ordinal)));

        // Each step waits for a share of the input and for the member that just joined to commit work of its own, so
        // that members overlap and every join, kill and leave moves partitions with transactions in flight.
        async Task Until(double share, string step, CrashWorkerProcess? joined = null)
        {
            await WaitUntil(() => (Committed() >= share * records && (joined is null || Works(joined))) || Failed(), StepTimeout, () => $"{step}: {Describe()}");
            timeline.Add($"{step} {clock.Elapsed.TotalSeconds:F1} s");
        }

        try
        {
            var a = Start("a");
            await Until(0.05, "a alone", a);
            var b = Start("b");
            await Until(0.20, "b joins", b);
            var c = Start("c");
            await Until(0.35, "c joins", c);
            a.Kill();
            await Until(0.50, "a killed");
            var successor = Start("a"); // a's transactional id again: its InitProducerId aborts the dead one's open transaction
            await Until(0.65, "a's successor joins", successor);
            b.Kill(); // not replaced: its open transaction ends by the transaction timeout, its partitions wait for that
            await Until(0.85, "b killed");
            var cExit = await c.StopAsync(); // a clean leave
            Assert.True(cExit == 0, $"c stops cleanly: {c.Describe()}");
            await WaitUntil(() => CommittedSum() == records, StepTimeout,
                () => $"the group's committed offsets reach the input's end ({string.Join(", ", CommittedOffsets(broker.BootstrapServers, group, input, Partitions))}); {Describe()}");
            stopFaults.Cancel();
            var injected = await injecting;
            foreach (var worker in workers.Where(w => !w.HasExited))
            {
                var exit = await worker.StopAsync();
                Assert.True(exit == 0, $"{worker.Name} stops cleanly: {worker.Describe()}");
            }

            var processing = clock.Elapsed;

            // The killed members' open transactions hold the output's last stable offset until the coordinator aborts
            // them (their transaction timeout, 6 s, checked every 10 s on Kafka's default): read once all are decided.
            await WaitUntilStable(broker.BootstrapServers, outputTopic, Partitions, StepTimeout);
            var stable = clock.Elapsed;
            var lines = workers.SelectMany(w => w.Lines).ToList();
            Assert.DoesNotContain(lines, l => l.StartsWith("FAILED", StringComparison.Ordinal));
            var committedOutput = ReadAll(broker.BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadCommitted);
            var written = ReadAll(broker.BootstrapServers, outputTopic, Partitions, IsolationLevel.ReadUncommitted).Count;
            var counts = committedOutput.GroupBy(r => r.Message.Key).ToDictionary(g => g.Key, g => g.Count());
            var duplicates = counts.Values.Sum(k => k - 1);
            var lost = Enumerable.Range(0, records).Count(i => !counts.ContainsKey("k" + i));
            var wrongValues = committedOutput.Count(r => r.Message.Value != "V" + r.Message.Key[1..]);
            var empty = lines.Count(l => l.StartsWith("COMMITTED - 0", StringComparison.Ordinal));
            var commits = lines.Count(l => l.StartsWith("COMMITTED ", StringComparison.Ordinal)) - empty;
            var aborts = lines.Count(l => l.StartsWith("ABORTED ", StringComparison.Ordinal));
            var assignments = lines.Count(l => l.StartsWith("ASSIGNED ", StringComparison.Ordinal));
            output.WriteLine(
                $"{records} records, members a, b, c joined; a killed (kill -9) and replaced, b killed, c left cleanly: " +
                $"read_committed holds {committedOutput.Count} records ({written} written): {duplicates} duplicates, {lost} lost; " +
                $"{commits} transactions with records committed ({empty} batches polled before an abort came out empty and made no transaction), {aborts} aborted (every {FailEvery}th batch failed by the members, {injected} broker faults injected), " +
                $"{assignments} assignments seen by the members; processed in {processing.TotalSeconds:F1} s, output stable at {stable.TotalSeconds:F1} s, {clock.Elapsed.TotalSeconds:F1} s in all; " +
                $"timeline: {string.Join(", ", timeline)}");
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicates);
            Assert.Equal(0, wrongValues);
            Assert.Equal(records, committedOutput.Count);
            Assert.True(aborts > 0, "transactions were aborted on purpose");
            Assert.True(written > committedOutput.Count, "aborted transactions wrote records that read_committed does not show");
        }
        finally
        {
            stopFaults.Cancel();
            await injecting;
            faults?.Clear();
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>
    /// Arms one broker fault at a time, in turn, once the last one has fired and <see cref="FaultEvery"/> more
    /// transactions with records committed (so that the faults slow the pipeline down but cannot stop it): a Produce of
    /// the output answered with an error after it was appended, a TxnOffsetCommit rejected as from an old generation, an
    /// EndTxn served whose response is lost (the connection closes; the client retries). Returns how many faults fired.
    /// </summary>
    private static async Task<int> InjectFaultsAsync(KafkaTestFaults faults, string outputTopic, Func<long> commits, CancellationToken stop)
    {
        var fired = 0;
        var armed = false;
        var armedAt = 0L;
        try
        {
            for (var turn = 0; !stop.IsCancellationRequested;)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), stop);
                if ((armed && faults.IsActive) || commits() < armedAt + FaultEvery)
                {
                    continue;
                }

                fired += armed ? 1 : 0;
                switch (turn++ % 3)
                {
                    case 0:
                        faults.FailNext(KafkaApi.Produce, ErrorCode.PolicyViolation, topic: outputTopic);
                        break;
                    case 1:
                        faults.FailNext(KafkaApi.TxnOffsetCommit, ErrorCode.IllegalGeneration);
                        break;
                    default:
                        faults.CloseConnectionAfterNext(KafkaApi.EndTxn);
                        break;
                }

                armed = true;
                armedAt = commits();
            }
        }
        catch (OperationCanceledException)
        {
        }

        faults.Clear();
        return fired;
    }
}
