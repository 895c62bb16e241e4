using System.Collections.Concurrent;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// MaxDelayRebalance: on revocation the records already handed out are given time to be acknowledged and committed, so
/// that the partitions' next owner reads fewer of them again. Measured with and without it, side by side.
/// </summary>
public sealed class KafkaReceiverMaxDelayRebalanceTests(BundledBrokerFixture broker, ITestOutputHelper output) : IClassFixture<BundledBrokerFixture>
{
    private const int Partitions = 4;
    private const int Records = 8_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MaxDelayRebalance_InFlightWorkAtARebalance_FewerDuplicatesThanWithout()
    {
        var without = await DuplicatesAtARebalance(TimeSpan.Zero);
        var with = await DuplicatesAtARebalance(TimeSpan.FromSeconds(5));
        output.WriteLine($"{Records} records, a member joins while the first has ~250 ms of work in flight: duplicates without MaxDelayRebalance {without.Duplicates} " +
            $"(revocation waits {without.Waits}), with 5 s {with.Duplicates} (revocation waits {with.Waits})");
        Assert.True(without.Duplicates > 0, $"the rebalance shows duplicates without MaxDelayRebalance ({without.Duplicates})");
        Assert.True(with.Duplicates < without.Duplicates, $"fewer duplicates with MaxDelayRebalance: {with.Duplicates} vs {without.Duplicates}");
        Assert.True(with.Waits > 0, "the revocation waited for the acknowledgements");
    }

    private async Task<(int Duplicates, long Waits)> DuplicatesAtARebalance(TimeSpan maxDelay)
    {
        var topic = await broker.CreateTopicAsync(partitions: Partitions);
        Produce(broker, topic, Records, Partitions);
        var seen = new ConcurrentDictionary<(int Partition, long Offset), int>();
        var options = Options(broker, topic) with { MaxDelayRebalance = maxDelay, BufferSize = 500, MaxUnacknowledged = 2_000 };

        // Work in flight: each record is acknowledged 250 ms after it was handed out, as an asynchronous handler would.
        IDisposable Start(KafkaReceiver<string, string> receiver, bool slow) => receiver.Receive().Subscribe(record =>
        {
            seen.AddOrUpdate((record.Partition.Value, record.Offset.Value), 1, static (_, n) => n + 1);
            if (slow)
            {
                _ = Task.Delay(250).ContinueWith(_ => record.Offset.Acknowledge(), TaskScheduler.Default);
                Thread.Sleep(1); // about a thousand records a second: the backlog outlasts the join
            }
            else
            {
                record.Offset.Acknowledge();
            }
        });

        var first = KafkaReceiver.Create(options);
        var a = Start(first, slow: true);
        await WaitUntil(() => seen.Count >= Records / 4, Timeout, () => $"the first member reads ({seen.Count})");
        var second = KafkaReceiver.Create(options);
        var b = Start(second, slow: false);
        await WaitUntil(() => seen.Count == Records, Timeout, () => $"every record received ({seen.Count})");
        a.Dispose();
        b.Dispose();
        await first.WhenReleasedAsync(TestContext.Current.CancellationToken);
        await second.WhenReleasedAsync(TestContext.Current.CancellationToken);
        Assert.True(first.Loop!.Revocations > 0, "the first member's partitions were revoked");
        return (seen.Values.Sum(n => n - 1), first.Loop.SettleWaits);
    }
}
