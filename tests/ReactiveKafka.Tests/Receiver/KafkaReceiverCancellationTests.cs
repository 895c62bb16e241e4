using System.Collections.Concurrent;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Issue 19, defect 2: a canceled enumeration (or a disposed subscription) yields nothing once the cancellation is
/// seen, and the records it took but did not yield are never acknowledged: the partition's next reader gets them.
/// </summary>
public sealed class KafkaReceiverCancellationTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private const int Records = 1000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReceiveAsync_CanceledWithRecordsBuffered_YieldsNothingMoreAndTheNextOwnerReadsTheRest()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, Records);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero, BufferSize = 500 };
        var receiver = KafkaReceiver.Create(options);
        using var cancel = new CancellationTokenSource();
        var yielded = 0;
        var afterCancel = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var record in receiver.ReceiveAsync(cancel.Token))
            {
                if (cancel.IsCancellationRequested)
                {
                    afterCancel++;
                }

                record.Offset.Acknowledge();
                if (++yielded == 100)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.Equal(0, afterCancel);
        Assert.Equal([100L], Committed(broker, options.ConsumerProperties["group.id"], topic));
        var next = await KafkaReceiver.Create(options).Receive().Take(1).Timeout(Timeout);
        Assert.Equal(100, next.Offset.Value);
    }

    [Fact]
    public async Task ReceivePerPartition_InnerSequencesSubscribedOnTheirOwn_NoneEmitsAfterTheReceiveSubscriptionEnds()
    {
        var topic = await broker.CreateTopicAsync(partitions: 3);
        Produce(broker, topic, 3 * Records, partitions: 3);
        var receiver = KafkaReceiver.Create(Options(broker, topic));
        var subscription = new SingleAssignmentDisposable();
        var emitted = 0;
        var afterDispose = 0;
        var disposed = 0;
        var acknowledged = new ConcurrentBag<(int Partition, long Offset)>();
        void OnRecord(ReceiverRecord<string, string> record)
        {
            if (Volatile.Read(ref disposed) != 0)
            {
                Interlocked.Increment(ref afterDispose);
                return;
            }

            record.Offset.Acknowledge();
            acknowledged.Add((record.Partition.Value, record.Offset.Value));
            Thread.SpinWait(500); // the partitions' streams emit side by side
            if (Interlocked.Increment(ref emitted) == 300)
            {
                subscription.Dispose();
                Volatile.Write(ref disposed, 1);
            }
        }

        // Each inner sequence subscribed to on its own (not disposed with the outer one): ending the receive
        // subscription must still end them.
        subscription.Disposable = receiver.ReceivePerPartition().Subscribe(partition => partition.Subscribe(OnRecord));

        await WaitUntil(() => Volatile.Read(ref disposed) != 0, Timeout, () => $"300 records ({emitted})");
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, Volatile.Read(ref afterDispose));
        var committed = Committed(broker, receiver.Options.ConsumerProperties["group.id"], topic, 3);
        for (var p = 0; p < 3; p++)
        {
            var acked = acknowledged.Where(a => a.Partition == p).Select(a => a.Offset + 1).DefaultIfEmpty(-1001).Max();
            Assert.Equal(acked, committed[p]);
        }
    }

    [Fact]
    public async Task ReceiveAutoAck_InnerSequencesCutShort_AcknowledgeNoneOfTheirRecords()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, Records);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.FromMilliseconds(50), BufferSize = 100 }; // batches of 100 at most
        var receiver = KafkaReceiver.Create(options);
        var taken = 0;

        using (receiver.ReceiveAutoAck().SelectMany(batch => batch.Take(1)).Subscribe(_ => Interlocked.Increment(ref taken)))
        {
            await WaitUntil(() => Volatile.Read(ref taken) >= 3, Timeout, () => $"three batches ({taken})");
        }

        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // Every inner sequence was disposed after its first record: none completed, so nothing was acknowledged.
        Assert.Equal([-1001L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task ReceiveAutoAck_InnerSequenceCompletedAfterTheSubscriptionEnded_AcknowledgesNothing()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, Records);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var receiver = KafkaReceiver.Create(options);
        var inner = new TaskCompletionSource<IObservable<ConsumeResult<string, string>>>(TaskCreationOptions.RunContinuationsAsynchronously);

        using (receiver.ReceiveAutoAck().Subscribe(batch => inner.TrySetResult(batch)))
        {
            await inner.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        var late = await (await inner.Task).ToList().Timeout(Timeout); // subscribed only after the receive subscription ended

        Assert.Empty(late); // completes empty: its records were not acknowledged and are read again
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([-1001L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }
}
