using System.Collections.Concurrent;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>The receive modes against the bundled broker: records arrive in order, acknowledgements commit.</summary>
public sealed class KafkaReceiverReceiveTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Receive_AcknowledgedRecords_CommitsTheirOffsetsAndEmitsInOrder()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 500);
        var options = Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);

        var values = await receiver.Receive()
            .Do(r => r.Offset.Acknowledge())
            .Select(r => r.Value)
            .Take(500)
            .ToList()
            .Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 500).Select(i => "v" + i), values);
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([500L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task ReceiveAsync_BreakAfterAcknowledging_CommitsOnCloseAndReleasesTheConsumer()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 100);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var receiver = KafkaReceiver.Create(options);

        var seen = 0;
        await foreach (var record in receiver.ReceiveAsync(TestContext.Current.CancellationToken))
        {
            record.Offset.Acknowledge();
            if (++seen == 40)
            {
                break;
            }
        }

        // Committed when the enumeration ends; the consumer leaves the group and is released right after.
        Assert.Equal([40L], Committed(broker, options.ConsumerProperties["group.id"], topic));
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => receiver.DoOnConsumer(c => c.Assignment));
    }

    [Fact]
    public async Task ReceiveAsync_Canceled_ThrowsAndCommitsAcknowledged()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 50);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var receiver = KafkaReceiver.Create(options);
        using var cancel = new CancellationTokenSource();

        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var record in receiver.ReceiveAsync(cancel.Token))
            {
                record.Offset.Acknowledge();
                if (++seen == 50)
                {
                    cancel.Cancel();
                }
            }
        });

        Assert.Equal([50L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task Receive_SecondConcurrentSubscription_FailsWithClearMessage()
    {
        var topic = await broker.CreateTopicAsync();
        var receiver = KafkaReceiver.Create(Options(broker, topic));
        using var first = receiver.Receive().Subscribe(_ => { });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await receiver.Receive().FirstAsync());
        Assert.Contains("already has an active subscription", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in receiver.ReceiveAsync(TestContext.Current.CancellationToken))
            {
            }
        });
    }

    [Fact]
    public async Task Receive_AfterPreviousSubscriptionDisposed_StartsAgainFromCommitted()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 20);
        var receiver = KafkaReceiver.Create(Options(broker, topic) with { CommitInterval = TimeSpan.Zero });

        var first = await receiver.Receive().Do(r => r.Offset.Acknowledge()).Take(10).Select(r => r.Value).ToList().Timeout(Timeout);
        var second = await receiver.Receive().Do(r => r.Offset.Acknowledge()).Take(10).Select(r => r.Value).ToList().Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + i), first);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => "v" + i), second);
    }

    [Fact]
    public async Task CommitAsync_OutOfOrder_CompletesOnlyOnceEarlierRecordsAreAcknowledged()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 3);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);
        var records = new BlockingCollection<ReceiverRecord<string, string>>();
        using var subscription = receiver.Receive().Subscribe(records.Add);

        var r0 = records.Take(TestContext.Current.CancellationToken);
        var r1 = records.Take(TestContext.Current.CancellationToken);
        var r2 = records.Take(TestContext.Current.CancellationToken);
        var commit2 = r2.Offset.CommitAsync(TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken); // several polls: the commit must not happen
        Assert.False(commit2.IsCompleted);
        Assert.Equal([-1001L], Committed(broker, group, topic));

        r1.Offset.Acknowledge();
        r0.Offset.Acknowledge();
        await commit2.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([3L], Committed(broker, group, topic));
    }

    [Fact]
    public async Task Receive_OutOfOrderAcknowledgements_CommittedOffsetNeverPassesAnUnacknowledgedRecord()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 100);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.FromMilliseconds(50) };
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);
        var records = new BlockingCollection<ReceiverRecord<string, string>>();
        using var subscription = receiver.Receive().Subscribe(records.Add);
        var all = Enumerable.Range(0, 100).Select(_ => records.Take(TestContext.Current.CancellationToken)).ToList();

        // Everything but record 30 acknowledged, newest first.
        foreach (var record in Enumerable.Reverse(all).Where(r => r.Offset.Value != 30))
        {
            record.Offset.Acknowledge();
        }

        await WaitUntil(() => receiver.Loop!.Commits > 0 && Committed(broker, group, topic)[0] == 30, Timeout, "the commit up to the gap");
        await Task.Delay(300, TestContext.Current.CancellationToken); // more interval commits: still at the gap
        Assert.Equal([30L], Committed(broker, group, topic));

        all[30].Offset.Acknowledge();
        await WaitUntil(() => Committed(broker, group, topic)[0] == 100, Timeout, "the commit past the filled gap");
    }

    [Fact]
    public async Task ReceiveBatch_Records_EmitsNonEmptyBatchesInOrder()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 1000);
        var options = Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);

        var batches = await receiver.ReceiveBatch()
            .Do(batch => { foreach (var r in batch) { r.Offset.Acknowledge(); } })
            .Scan((Count: 0, Batches: new List<IReadOnlyList<ReceiverRecord<string, string>>>()), (s, b) => { s.Batches.Add(b); return (s.Count + b.Count, s.Batches); })
            .FirstAsync(s => s.Count >= 1000)
            .Timeout(Timeout);

        Assert.All(batches.Batches, b => Assert.NotEmpty(b));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => "v" + i), batches.Batches.SelectMany(b => b).Select(r => r.Value));
        await WaitUntil(() => Committed(broker, options.ConsumerProperties["group.id"], topic)[0] == 1000, Timeout, "commit of all batches");
    }

    [Fact]
    public async Task ReceiveAutoAck_InnerSequencesCompleted_CommitsEverything()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 300);
        var options = Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);

        var values = await receiver.ReceiveAutoAck()
            .Select(inner => inner.ToList()) // emitted once the inner sequence completed, i.e. after its acknowledgement
            .Concat()
            .SelectMany(batch => batch)
            .Select(r => r.Message.Value)
            .Take(300)
            .ToList()
            .Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => "v" + i), values);
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([300L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task ReceiveAtMostOnce_EveryEmittedRecord_IsAlreadyCommitted()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 30);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);

        var checkedRecords = await receiver.ReceiveAtMostOnce()
            .Select(r => (r.Offset.Value, Committed: Committed(broker, group, topic)[0]))
            .Take(30)
            .ToList()
            .Timeout(Timeout);

        Assert.All(checkedRecords, r => Assert.True(r.Committed > r.Value, $"offset {r.Value} emitted with committed {r.Committed}"));
    }

    [Fact]
    public async Task ReceiveAtMostOnce_CommitAhead_CommitsPastTheBatchUpToTheHighWatermark()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 200);
        var options = Options(broker, topic) with { AtMostOnceCommitAheadSize = 50, BufferSize = 10 };
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);

        var first = await receiver.ReceiveAtMostOnce().Take(1).Select(r => Committed(broker, group, topic)[0]).Timeout(Timeout);

        // The first batch holds at most 10 records; the commit reached up to 50 past them, capped at the end (200).
        Assert.InRange(first, 51, 200);
        var restarted = await receiver.ReceiveAtMostOnce().Take(1).Timeout(Timeout);
        Assert.Equal(first, restarted.Offset.Value);
    }

    [Fact]
    public async Task ReceivePerPartition_ThreePartitions_EachInnerSequenceIsOrdered()
    {
        var topic = await broker.CreateTopicAsync(partitions: 3);
        Produce(broker, topic, 900, partitions: 3);
        var receiver = KafkaReceiver.Create(Options(broker, topic));
        var perPartition = new ConcurrentDictionary<int, ConcurrentQueue<long>>();

        var total = await receiver.ReceivePerPartition()
            .SelectMany(partition => partition.Do(r =>
            {
                perPartition.GetOrAdd(partition.Key.Partition.Value, _ => new()).Enqueue(r.Offset.Value);
                r.Offset.Acknowledge();
            }))
            .Take(900)
            .Count()
            .Timeout(Timeout);

        Assert.Equal(900, total);
        Assert.Equal(3, perPartition.Count);
        Assert.All(perPartition.Values, offsets => Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), offsets));
    }

    [Fact]
    public async Task Receive_ManualAssignmentWithStartOffset_ReadsFromThere()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 20, partitions: 2);
        var options = Options(broker, topic) with { Topics = null, Assignment = [new TopicPartitionOffset(topic, 1, 5)] };

        var offsets = await KafkaReceiver.Create(options).Receive().Take(5).Select(r => r.TopicPartitionOffset).ToList().Timeout(Timeout);

        Assert.Equal(Enumerable.Range(5, 5).Select(o => new TopicPartitionOffset(topic, 1, o)), offsets);
    }

    [Fact]
    public async Task OnPartitionsAssigned_SeekAndPosition_StartsWhereTheListenerSays()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 30);
        var positions = new List<long>();
        var options = Options(broker, topic) with
        {
            OnPartitionsAssigned = partitions =>
            {
                foreach (var partition in partitions)
                {
                    positions.Add(partition.Position); // nothing committed, earliest: 0
                    partition.SeekToEnd();
                    positions.Add(partition.Position);
                    partition.Seek(25);
                    positions.Add(partition.Position);
                }
            },
        };

        var first = await KafkaReceiver.Create(options).Receive().Take(1).Timeout(Timeout);

        Assert.Equal([0L, 30L, 25L], positions);
        Assert.Equal(25, first.Offset.Value);
    }

    [Fact]
    public async Task OnPartitionsAssigned_SeekToTimestamp_StartsAtTheFirstLaterRecord()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 10);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Produce(broker, topic, 10, start: 10);
        var options = Options(broker, topic) with { OnPartitionsAssigned = ps => ps[0].SeekToTimestamp(middle) };

        var first = await KafkaReceiver.Create(options).Receive().Take(1).Timeout(Timeout);

        Assert.Equal("v10", first.Value);
    }

    [Fact]
    public async Task DoOnConsumer_RunningSubscription_RunsOnTheLoopThread()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 1);
        var receiver = KafkaReceiver.Create(Options(broker, topic));
        using var subscription = receiver.Receive().Subscribe(_ => { });
        await WaitUntil(() => receiver.Loop!.Assignments > 0, Timeout, "assignment");

        var (assignment, thread) = await receiver.DoOnConsumer(c => (c.Assignment, Thread.CurrentThread.Name)).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([new TopicPartition(topic, 0)], assignment);
        Assert.StartsWith("ReactiveKafka receiver", thread);
    }
}
