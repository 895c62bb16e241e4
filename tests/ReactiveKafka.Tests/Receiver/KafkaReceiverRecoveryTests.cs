using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Testing;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// A commit refused because the coordinator forgot the member (a broker restart, a session timeout) is a rebalance,
/// not the end of the sequence: librdkafka treats the assignment as lost and rejoins, the receiver starts new ownership
/// periods and reads again from the committed offsets (duplicates, never loss) and goes on receiving.
/// </summary>
public sealed class KafkaReceiverRecoveryTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Tester finding 1: the commit after a restart failed with UNKNOWN_MEMBER_ID and ended every receiver.</summary>
    [Fact]
    public async Task Receive_BrokerRestartedMidStream_SequenceSurvivesAndEveryRecordIsReceived()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("Restarting the broker needs the bundled broker.");
        }

        const int before = 20_000, after = 2_000, partitions = 4;
        var topic = await broker.CreateTopicAsync(partitions);
        Produce(broker, topic, before, partitions);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var receiver = KafkaReceiver.Create(Options(broker, topic, group));
        var distinct = new ConcurrentDictionary<string, bool>();
        var received = 0;
        var restarted = false;
        Exception? ended = null;
        var completed = false;
        using var subscription = receiver.Receive().Subscribe(
            record =>
            {
                record.Offset.Acknowledge();
                distinct.TryAdd(record.Value, true);
                if (Interlocked.Increment(ref received) == before / 4 && !restarted)
                {
                    // Mid-stream: the subscriber holds here (the receiver pauses for backpressure) while the broker restarts.
                    restarted = true;
                    broker.Broker.RestartAsync(TestContext.Current.CancellationToken).Wait(Timeout, TestContext.Current.CancellationToken);
                }
            },
            error => ended = error,
            () => completed = true);

        await WaitUntil(() => distinct.Count == before || ended is not null || completed, Timeout,
            () => $"the {before} records produced before the restart (distinct {distinct.Count}, received {received})");
        Assert.True(restarted);
        Assert.Null(ended);
        Assert.False(completed);

        // Still receiving: records produced after the restart arrive too.
        Produce(broker, topic, after, partitions, start: before);
        await WaitUntil(() => distinct.Count == before + after || ended is not null || completed, Timeout,
            () => $"the {after} records produced after the restart (distinct {distinct.Count}, received {received})");
        Assert.Null(ended);
        Assert.False(completed);
        Assert.Equal(before + after, distinct.Count);
        Assert.True(received >= before + after);

        // Commits work again: the group's committed offsets reach the end of every partition.
        await WaitUntil(() => Committed(broker, group, topic, partitions).Sum() == before + after, Timeout,
            () => $"committed offsets at the end (committed {string.Join(", ", Committed(broker, group, topic, partitions))})");
    }

    /// <summary>The same refusal injected on one commit, deterministic: the loss is announced and nothing is lost.</summary>
    [Fact]
    public async Task Receive_CommitRefusedWithUnknownMember_PartitionsLostAndReadAgainAndSequenceGoesOn()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("The refusal is injected with fault injection, which needs the bundled broker.");
        }

        const int count = 200, partitions = 2;
        var topic = await broker.CreateTopicAsync(partitions);
        Produce(broker, topic, count, partitions);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var lost = 0;
        var options = Options(broker, topic, group) with
        {
            MaxCommitAttempts = 1, // even with no retry allowed, a rebalance-like refusal does not end the sequence
            OnPartitionsLost = _ => Interlocked.Increment(ref lost),
        };
        var receiver = KafkaReceiver.Create(options);
        var distinct = new ConcurrentDictionary<string, bool>();
        var armed = false;
        Exception? ended = null;
        using var subscription = receiver.Receive().Subscribe(
            record =>
            {
                if (!armed)
                {
                    armed = true;
                    broker.Broker.Faults.FailNext(KafkaApi.OffsetCommit, ErrorCode.UnknownMemberId, topic: topic);
                }

                record.Offset.Acknowledge();
                distinct.TryAdd(record.Value, true);
            },
            error => ended = error);

        await WaitUntil(() => Volatile.Read(ref lost) > 0 || ended is not null, Timeout, "the partitions lost after the refused commit");
        Produce(broker, topic, count, partitions, start: count);
        await WaitUntil(() => distinct.Count == 2 * count || ended is not null, Timeout, () => $"every record (distinct {distinct.Count})");
        Assert.Null(ended);
        await WaitUntil(() => Committed(broker, group, topic, partitions).Sum() == 2 * count, Timeout,
            () => $"committed offsets at the end (committed {string.Join(", ", Committed(broker, group, topic, partitions))})");
        broker.Broker.Faults.Clear();
    }
}
