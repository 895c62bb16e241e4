using System.Collections.Concurrent;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Backpressure: the receiver stops at its bounds, and a stalled subscriber never costs the group membership (the memory
/// bound under a large backlog is <see cref="KafkaReceiverBacklogMemoryTests"/>).
/// </summary>
public sealed class KafkaReceiverBackpressureTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Receive_SubscriberStallsLongerThanMaxPollInterval_NoRebalance()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 200);
        var config = ConsumerConfig(broker);
        config.MaxPollIntervalMs = 6500; // librdkafka needs it at least the session timeout (6000 ms)
        var options = new ReceiverOptions<string, string>(config) { Topics = [topic], BufferSize = 10, MaxUnacknowledged = 20 };
        var receiver = KafkaReceiver.Create(options);
        var received = 0;
        var stall = TimeSpan.FromMilliseconds(config.MaxPollIntervalMs.Value + 2000);

        var values = await receiver.Receive()
            .Do(record =>
            {
                if (Interlocked.Increment(ref received) == 1)
                {
                    Thread.Sleep(stall); // the subscriber (not the loop) stalls past max.poll.interval.ms
                }

                record.Offset.Acknowledge();
            })
            .Take(200)
            .Select(r => r.Value)
            .ToList()
            .Timeout(Timeout);

        var loop = receiver.Loop!;
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "v" + i), values);
        Assert.Equal(1, loop.Assignments);
        Assert.Equal(0, loop.Revocations);
        Assert.True(loop.Pauses > 0, "the loop paused while the subscriber stalled");
    }

    /// <summary>
    /// Issue 19, defect 5: with BufferSize 256 and MaxUnacknowledged 1000, a subscriber that never acknowledged stopped at
    /// 512 records: the buffer's bound, once reached, was released only when every count was at half its bound, and the
    /// unacknowledged count never is without acknowledgements.
    /// </summary>
    [Fact]
    public async Task Receive_SubscriberNeverAcknowledges_StopsAtMaxUnacknowledgedNotAtTheBuffer()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 5000);
        var receiver = KafkaReceiver.Create(Options(broker, topic) with { BufferSize = 256, MaxUnacknowledged = 1000 });
        var held = new ConcurrentQueue<ReceiverRecord<string, string>>();
        using var subscription = receiver.Receive().Subscribe(held.Enqueue);

        await WaitUntil(() => held.Count >= 1000, Timeout, () => $"MaxUnacknowledged records ({held.Count}, statistics {receiver.Statistics})");
        await WaitUntil(() => receiver.Loop!.Reasons.HasFlag(PauseReasons.Backpressure), Timeout, "the pause at the bound");
        Assert.Equal(1000, held.Count);
        var statistics = receiver.Statistics;
        Assert.Equal((Buffered: 0L, Unacknowledged: 1000, AssignedPartitions: 1, PausedPartitions: 1), (statistics.Buffered, statistics.Unacknowledged, statistics.AssignedPartitions, statistics.PausedPartitions));

        // Half acknowledged: the bound is released and records flow again.
        for (var i = 0; i < 500 && held.TryDequeue(out var record); i++)
        {
            record.Offset.Acknowledge();
        }

        await WaitUntil(() => held.Count > 500, Timeout, () => $"more records after acknowledging half ({held.Count})");
    }

    [Fact]
    public async Task Receive_OutOfOrderAcknowledgementsBeyondMaxDeferredCommits_PausesUntilTheGapIsFilled()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 2000);
        var options = Options(broker, topic) with { BufferSize = 100, MaxDeferredCommits = 50 };
        var receiver = KafkaReceiver.Create(options);
        ReceiverRecord<string, string>? first = null;
        var received = 0;
        using var subscription = receiver.Receive().Subscribe(record =>
        {
            Interlocked.Increment(ref received);
            if (first is null)
            {
                first = record; // held: everything after it is a deferred acknowledgement
                return;
            }

            record.Offset.Acknowledge();
        });

        await WaitUntil(() => receiver.Loop!.Reasons.HasFlag(ReactiveKafka.Receiver.Internal.PauseReasons.Backpressure), Timeout, "backpressure from deferred acknowledgements");
        var stalledAt = Volatile.Read(ref received);
        await Task.Delay(500, TestContext.Current.CancellationToken); // several polls while paused
        Assert.InRange(Volatile.Read(ref received), stalledAt, 50 + 100 + 1); // deferred bound plus what was already buffered
        Assert.True(received < 2000);

        first!.Offset.Acknowledge();
        await WaitUntil(() => Volatile.Read(ref received) == 2000, Timeout, "the rest once the gap is filled");
    }

    [Fact]
    public async Task PauseAsync_UserPausedPartition_StaysPausedUntilResumed()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 200, partitions: 2);
        var receiver = KafkaReceiver.Create(Options(broker, topic));
        var perPartition = new int[2];
        var paused = new TopicPartition(topic, 1);
        using var subscription = receiver.Receive().Subscribe(r =>
        {
            Interlocked.Increment(ref perPartition[r.Partition.Value]);
            r.Offset.Acknowledge();
        });
        await WaitUntil(() => receiver.Loop?.Assignments > 0, Timeout, "assignment");
        await receiver.PauseAsync([paused]);
        var before = Volatile.Read(ref perPartition[1]);

        await WaitUntil(() => Volatile.Read(ref perPartition[0]) == 100, Timeout, "partition 0 read completely");
        Assert.InRange(Volatile.Read(ref perPartition[1]), before, before + 1000); // nothing after the pause took effect
        var whilePaused = Volatile.Read(ref perPartition[1]);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(whilePaused, Volatile.Read(ref perPartition[1]));

        await receiver.ResumeAsync([paused]);
        await WaitUntil(() => Volatile.Read(ref perPartition[1]) == 100, Timeout, "partition 1 after resuming");
    }
}
