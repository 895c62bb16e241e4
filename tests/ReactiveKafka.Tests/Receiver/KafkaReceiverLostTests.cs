using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Testing;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Partitions lost (the member was fenced) reach the lost listener, and their acknowledgements never commit.</summary>
public sealed class KafkaReceiverLostTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Receive_MemberFencedByTheCoordinator_LostListenerGetsThePartitionsAndTheReceiverRejoins()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("Fencing the member is done by fault injection, which needs the bundled broker.");
        }

        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 10, partitions: 2);
        var lost = new TaskCompletionSource<IReadOnlyList<TopicPartition>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var assignments = 0;
        var options = Options(broker, topic) with
        {
            OnPartitionsLost = partitions => lost.TrySetResult(partitions),
            OnPartitionsAssigned = _ => Interlocked.Increment(ref assignments),
        };
        var receiver = KafkaReceiver.Create(options);
        var received = 0;
        using var subscription = receiver.Receive().Subscribe(record =>
        {
            Interlocked.Increment(ref received);
            record.Offset.Acknowledge();
        });
        await WaitUntil(() => Volatile.Read(ref received) == 10, Timeout, () => $"the first 10 records (got {received})");

        // The coordinator no longer knows the member: the client must treat its assignment as lost, not revoked.
        broker.Broker.Faults.FailNext(Protocol.ApiKey.Heartbeat, Protocol.ErrorCode.UnknownMemberId);
        var partitions = await lost.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, partitions.Count);
        Assert.All(partitions, p => Assert.Equal(topic, p.Topic));
        await WaitUntil(() => Volatile.Read(ref assignments) >= 2, Timeout, () => $"a new assignment after the loss (assignments {assignments})");
    }
}
