using System.Reactive.Linq;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Closing: acknowledged offsets committed before Dispose returns, the group left at once (no session timeout wait), the consumer released.</summary>
public sealed class KafkaReceiverCloseTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dispose_Subscription_CommitsLeavesTheGroupAndTheOtherMemberTakesOverQuickly()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 10, partitions: 2);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var options = Options(broker, topic, group) with { CommitInterval = TimeSpan.Zero };
        var receiverA = KafkaReceiver.Create(options);
        var receiverB = KafkaReceiver.Create(options);
        var acknowledged = 0;
        var a = receiverA.Receive().Subscribe(r =>
        {
            r.Offset.Acknowledge();
            Interlocked.Increment(ref acknowledged);
        });
        using var b = receiverB.Receive().Subscribe(r =>
        {
            r.Offset.Acknowledge();
            Interlocked.Increment(ref acknowledged);
        });
        await WaitUntil(
            () => receiverA.DoOnConsumer(c => c.Assignment.Count).Result == 1 && receiverB.DoOnConsumer(c => c.Assignment.Count).Result == 1
                && Volatile.Read(ref acknowledged) >= 10,
            Timeout,
            "one partition each, every record acknowledged");

        var partitionOfA = (await receiverA.DoOnConsumer(c => c.Assignment.Single())).Partition.Value;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        a.Dispose();
        Assert.Equal(5, Committed(broker, group, topic, 2)[partitionOfA]); // Dispose returns once A's acknowledged offsets are committed
        await receiverA.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken); // then A leaves the group and is released
        await WaitUntil(() => receiverB.DoOnConsumer(c => c.Assignment.Count).Result == 2, Timeout, "B owning both partitions");
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(6000), $"B took over in {clock.Elapsed}: A left the group instead of timing out");
        await WaitUntil(() => Committed(broker, group, topic, 2).Sum() == 10, Timeout, () => $"every acknowledged offset committed: [{string.Join(", ", Committed(broker, group, topic, 2))}] commits A {receiverA.Loop!.Commits} ({receiverA.Loop!.LastCommitError}, revocations {receiverA.Loop!.Revocations}) B {receiverB.Loop!.Commits}");
        await Assert.ThrowsAsync<InvalidOperationException>(() => receiverA.DoOnConsumer(c => c.Assignment));
    }
}
