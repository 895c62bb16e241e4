using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver.Conformance;

/// <summary>
/// Receiver behaviour in a group, run against each broker (the bundled one and librdkafka's mock cluster), so that the
/// SDK is not tuned to our own broker only.
/// </summary>
public abstract class ReceiverConformanceTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int RecordsPerPartition = 5_000;

    /// <summary>A tenth of the spin: the shape (a slow member, a paused backlog) without its 13 s of processing.</summary>
    private const int Spin = 2_000;

    /// <summary>Time for the rebalance itself (join, sync, the fetches restarting), beside the processing time.</summary>
    private static readonly TimeSpan RebalanceAllowance = TimeSpan.FromSeconds(15);

    protected abstract string BootstrapServers { get; }

    /// <summary>A new topic of <paramref name="partitions"/> partitions with <paramref name="recordsPerPartition"/> records each.</summary>
    protected abstract Task<string> CreateFilledTopicAsync(int partitions, int recordsPerPartition);

    /// <summary>
    /// Issue 19, defect 1: a member joins mid-stream while the slow member has paused its partitions for backpressure.
    /// librdkafka keeps a partition's pause across revocation and re-assignment; the receiver forgot it had paused them,
    /// so the partitions given back to the slow member never delivered again (10,000 of 20,000 records, no error).
    /// </summary>
    [Fact]
    public async Task Receive_MemberJoinsWhileTheSlowMemberIsPaused_EveryRecordArrivesInTimeTheProcessingExplains()
    {
        var topic = await CreateFilledTopicAsync(Partitions, RecordsPerPartition);
        var perRecord = MeasureSpin(Spin);
        var total = Partitions * RecordsPerPartition;

        // One member alone would take remaining × perRecord; twice that, plus the rebalance, is the bound.
        var bound = (2 * (total - 3_000) * perRecord) + RebalanceAllowance;
        var figures = await new LateJoinerScenario
        {
            BootstrapServers = BootstrapServers,
            Topic = topic,
            Partitions = Partitions,
            RecordsPerPartition = RecordsPerPartition,
            Spin = Spin,
            JoinAfter = 3_000,
            PausedAtJoin = true,
            Observe = bound,
        }.RunAsync(output.WriteLine);
        output.WriteLine($"processing {perRecord.TotalMicroseconds:F0} µs per record; bound {bound.TotalSeconds:F1} s");

        Assert.True(figures.Distinct == total, $"every record at least once: {figures}");
        Assert.True(figures.DrainTime <= bound, $"drained within {bound.TotalSeconds:F1} s: {figures}");
        Assert.True(figures.Receiver1 > figures.Receiver1BeforeJoin, $"receiver 1 went on with the partitions given back: {figures}");
        Assert.True(figures.Receiver2 > 0, $"receiver 2 received its partitions: {figures}");
    }

    /// <summary>
    /// Issue 19, defect 4: librdkafka's close waits for a join in flight (about 5 s on the mock cluster); canceling an
    /// idle enumeration waited for it. It now ends once the loop has stopped and committed, within the poll interval.
    /// </summary>
    [Fact]
    public async Task ReceiveAsync_CanceledWhileIdleDuringARebalance_EndsWithinThePollInterval()
    {
        var topic = await CreateFilledTopicAsync(Partitions, 1);
        var group = "idle-cancel-" + Guid.NewGuid().ToString("N")[..12];
        var options = new ReceiverOptions<string, string>(ConsumerConfig(BootstrapServers, group)) { Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(50) };
        using var cancelA = new CancellationTokenSource();
        using var cancelB = new CancellationTokenSource();
        var canceledAt = new System.Diagnostics.Stopwatch();
        var receivedA = 0;

        // Canceled from A's revocation listener: certainly during the rebalance, with every record acknowledged.
        var a = KafkaReceiver.Create(options with
        {
            OnPartitionsRevoked = _ =>
            {
                if (!cancelA.IsCancellationRequested)
                {
                    canceledAt.Start();
                    cancelA.Cancel();
                }
            },
        });
        var runA = Task.Run(async () =>
        {
            await foreach (var record in a.ReceiveAsync(cancelA.Token))
            {
                record.Offset.Acknowledge();
                Interlocked.Increment(ref receivedA);
            }
        }, TestContext.Current.CancellationToken);
        await WaitUntil(() => Volatile.Read(ref receivedA) == Partitions, TimeSpan.FromSeconds(30), () => $"A reads the {Partitions} records ({receivedA})");

        // Committed before B joins: the mock cluster rejects commits while the group rebalances (Kafka accepts them).
        await WaitUntil(() => CommittedOffsets(BootstrapServers, group, topic, Partitions).All(o => o == 1), TimeSpan.FromSeconds(30), "A commits the records");
        var b = KafkaReceiver.Create(options);
        var runB = Task.Run(async () =>
        {
            await foreach (var record in b.ReceiveAsync(cancelB.Token))
            {
            }
        }, TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runA.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        var ended = canceledAt.Elapsed;
        output.WriteLine($"A's enumeration ended {ended.TotalMilliseconds:F0} ms after the cancel; A's consumer released: {a.Loop!.Finished.IsCompleted}; A's commits {a.Loop.Commits}, last commit error {a.Loop.LastCommitError}, client errors {a.Loop.ClientErrors}");

        // Far below the join it must not wait for (seconds), with room for a loaded 2-core machine's scheduling.
        var bound = options.PollTimeout + TimeSpan.FromMilliseconds(1500);
        Assert.True(ended <= bound, $"ended {ended.TotalMilliseconds:F0} ms after the cancel, more than {bound.TotalMilliseconds:F0} ms");
        Assert.Equal(Enumerable.Repeat(1L, Partitions), CommittedOffsets(BootstrapServers, group, topic, Partitions));
        await cancelB.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runB.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        await a.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(options.CloseTimeout, TestContext.Current.CancellationToken);
        Assert.True(a.Loop.Finished.IsCompleted);
    }

    private static TimeSpan MeasureSpin(int spin)
    {
        const int samples = 2_000;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < samples; i++)
        {
            Thread.SpinWait(spin);
        }

        return clock.Elapsed / samples;
    }
}

/// <summary><see cref="ReceiverConformanceTests"/> on the bundled broker (or whatever <c>REACTIVEKAFKA_TEST_BROKER</c> names).</summary>
public sealed class ReceiverConformanceBundledBrokerTests(BundledBrokerFixture broker, ITestOutputHelper output)
    : ReceiverConformanceTests(output), IClassFixture<BundledBrokerFixture>
{
    protected override string BootstrapServers => broker.BootstrapServers;

    protected override async Task<string> CreateFilledTopicAsync(int partitions, int recordsPerPartition)
    {
        var topic = await broker.CreateTopicAsync(partitions);
        Produce(broker, topic, partitions * recordsPerPartition, partitions);
        return topic;
    }
}

/// <summary><see cref="ReceiverConformanceTests"/> on librdkafka's mock cluster, an independent broker.</summary>
public sealed class ReceiverConformanceMockClusterTests(MockClusterFixture mock, ITestOutputHelper output)
    : ReceiverConformanceTests(output), IClassFixture<MockClusterFixture>
{
    protected override string BootstrapServers => mock.BootstrapServers;

    protected override Task<string> CreateFilledTopicAsync(int partitions, int recordsPerPartition)
    {
        Assert.Equal(MockClusterFixture.AutoCreatedPartitions, partitions);
        var topic = "late-joiner-" + Guid.NewGuid().ToString("N")[..12];
        Produce(mock.BootstrapServers, topic, partitions * recordsPerPartition, partitions); // created with 4 partitions on first produce
        return Task.FromResult(topic);
    }
}
