using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Testing;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Partitions lost (the member was fenced) reach the lost listener with the offsets that will be delivered again, their
/// acknowledgements never commit, and every dropped acknowledgement is counted.
/// </summary>
public sealed class KafkaReceiverLostTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Issue 19, defect 3: acknowledgements of lost partitions were dropped without a trace. The listener now gets
    /// each partition's redelivered range, and <see cref="ReceiverStatistics"/> counts the losses and the dropped
    /// acknowledgements.
    /// </summary>
    [Fact]
    public async Task Receive_MemberFencedByTheCoordinator_LostListenerGetsTheRedeliveredOffsetsAndDroppedAcknowledgementsAreCounted()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("Fencing the member is done by fault injection, which needs the bundled broker.");
        }

        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 10, partitions: 2);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var lost = new TaskCompletionSource<IReadOnlyList<LostPartition>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var assignments = 0;
        var options = Options(broker, topic, group) with
        {
            CommitInterval = TimeSpan.Zero, // only what CommitAsync commits
            OnPartitionsLost = partitions => lost.TrySetResult(partitions),
            OnPartitionsAssigned = _ => Interlocked.Increment(ref assignments),
        };
        var receiver = KafkaReceiver.Create(options);
        var received = new ConcurrentQueue<ReceiverRecord<string, string>>();
        using var subscription = receiver.Receive().Subscribe(received.Enqueue);
        await WaitUntil(() => received.Count == 10, Timeout, () => $"the first 10 records (got {received.Count})");

        // Offsets 0 and 1 of each partition processed and committed; 2..4 received and not acknowledged.
        await Task.WhenAll(received.Where(r => r.Offset.Value == 1).Select(r =>
        {
            received.Single(e => e.Partition == r.Partition && e.Offset.Value == 0).Offset.Acknowledge();
            return r.Offset.CommitAsync(TestContext.Current.CancellationToken);
        })).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // The coordinator no longer knows the member: the client must treat its assignment as lost, not revoked.
        broker.Broker.Faults.FailNext(KafkaApi.Heartbeat, ErrorCode.UnknownMemberId);
        var partitions = await lost.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(
            [new LostPartition(new TopicPartition(topic, 0), 2, 4, 3), new LostPartition(new TopicPartition(topic, 1), 2, 4, 3)],
            partitions.OrderBy(p => p.TopicPartition.Partition.Value));
        Assert.All(partitions, p => Assert.True(p.RedeliversReceivedRecords));
        Assert.Equal(2, receiver.Statistics.PartitionsLost);

        // Acknowledging the lost records now is dropped, counted, and never committed.
        foreach (var record in received.Where(r => r.Offset.Value >= 2).ToList())
        {
            record.Offset.Acknowledge();
        }

        Assert.Equal(6, receiver.Statistics.AcknowledgementsDropped);
        await WaitUntil(() => Volatile.Read(ref assignments) >= 2, Timeout, () => $"a new assignment after the loss (assignments {assignments})");

        // As announced: the receiver, rejoined, reads offsets 2..4 of each partition again.
        await WaitUntil(() => received.Count == 16, Timeout, () => $"the redelivered records (got {received.Count})");
        Assert.Equal(
            [(0, 2L), (0, 3L), (0, 4L), (1, 2L), (1, 3L), (1, 4L)],
            received.Skip(10).Select(r => (r.Partition.Value, r.Offset.Value)).Order());
        Assert.Equal([2L, 2L], Committed(broker, group, topic, 2));
    }
}
