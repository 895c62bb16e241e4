using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver.LateJoiner;

/// <summary>
/// Issue 19, defect 1, run against each broker: a member joining a group mid-stream while the slow member has paused
/// its partitions for backpressure. librdkafka keeps a partition's pause across revocation and re-assignment, so a
/// receiver that forgot it had paused a partition never resumed it: the partitions given back never delivered again.
/// </summary>
public abstract class LateJoinerTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int RecordsPerPartition = 5_000;

    /// <summary>A tenth of the spin: the shape (a slow member, a paused backlog) without its 13 s of processing.</summary>
    private const int Spin = 2_000;

    /// <summary>Time for the rebalance itself (join, sync, the fetches restarting), beside the processing time.</summary>
    private static readonly TimeSpan RebalanceAllowance = TimeSpan.FromSeconds(15);

    protected abstract string BootstrapServers { get; }

    /// <summary>A topic of <see cref="Partitions"/> partitions with <see cref="RecordsPerPartition"/> records each.</summary>
    protected abstract Task<string> CreateFilledTopicAsync(int partitions, int recordsPerPartition);

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

/// <summary><see cref="LateJoinerTests"/> on the bundled broker (or whatever <c>REACTIVEKAFKA_TEST_BROKER</c> names).</summary>
public sealed class LateJoinerBundledBrokerTests(BundledBrokerFixture broker, ITestOutputHelper output)
    : LateJoinerTests(output), IClassFixture<BundledBrokerFixture>
{
    protected override string BootstrapServers => broker.BootstrapServers;

    protected override async Task<string> CreateFilledTopicAsync(int partitions, int recordsPerPartition)
    {
        var topic = await broker.CreateTopicAsync(partitions);
        Produce(broker, topic, partitions * recordsPerPartition, partitions);
        return topic;
    }
}

/// <summary><see cref="LateJoinerTests"/> on librdkafka's mock cluster, an independent broker.</summary>
public sealed class LateJoinerMockClusterTests(MockClusterFixture mock, ITestOutputHelper output)
    : LateJoinerTests(output), IClassFixture<MockClusterFixture>
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
