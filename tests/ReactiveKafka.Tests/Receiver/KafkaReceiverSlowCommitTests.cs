using System.Diagnostics;
using System.Reactive.Linq;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Testing;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// A commit that waits for the group coordinator does not stop the partitions: records keep flowing while it is in
/// flight, its waiters complete once it returns, a close during it waits for it and then commits the rest, and a join
/// during it loses nothing.
/// </summary>
public sealed class KafkaReceiverSlowCommitTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private const int Records = 20_000;
    private const int BufferSize = 64;
    private static readonly TimeSpan CommitDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Receive_CommitAnswerDelayed_RecordsKeepFlowingWhileItIsInFlight()
    {
        RequireBundled();
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, Records);
        var group = "group-" + Guid.NewGuid().ToString("N");

        // A small buffer: the subscriber gets records only as fast as the loop polls, so a loop held by the commit shows.
        var options = Options(broker, topic, group) with { BufferSize = BufferSize, CommitInterval = TimeSpan.FromMinutes(5) };
        var receiver = KafkaReceiver.Create(options);
        var received = 0;
        var receivedAtRequest = -1;
        var receivedAtCommitted = -1;
        var clock = new Stopwatch();
        Task? commit = null;

        await receiver.Receive()
            .Do(record =>
            {
                var count = Interlocked.Increment(ref received);
                if (count == 100)
                {
                    broker.Broker.Faults.DelayResponses(CommitDelay, KafkaApi.OffsetCommit, count: 1);
                    receivedAtRequest = count;
                    clock.Start();
                    commit = record.Offset.CommitAsync().ContinueWith(
                        _ =>
                        {
                            receivedAtCommitted = Volatile.Read(ref received);
                            clock.Stop();
                        },
                        TaskScheduler.Default);
                }
                else
                {
                    record.Offset.Acknowledge();
                }
            })
            .Take(Records)
            .LastAsync()
            .Timeout(Timeout);

        await commit!.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(clock.Elapsed >= CommitDelay - TimeSpan.FromMilliseconds(200), $"The commit came back after {clock.ElapsedMilliseconds} ms: the broker did not hold it.");
        var duringCommit = receivedAtCommitted - receivedAtRequest;
        TestContext.Current.TestOutputHelper?.WriteLine($"{duringCommit} records arrived during the {clock.ElapsedMilliseconds} ms the commit was in flight.");
        Assert.True(duringCommit > 20 * BufferSize, $"Only {duringCommit} records arrived during the {clock.ElapsedMilliseconds} ms the commit was in flight (buffer {BufferSize}): the loop waited for the commit.");
        await WaitUntil(() => Committed(broker, group, topic).Single() == Records, Timeout, () => $"committed offset {Committed(broker, group, topic).Single()}, expected {Records}");
    }

    [Fact]
    public async Task Dispose_WhileACommitIsInFlight_WaitsForItThenCommitsTheRest()
    {
        RequireBundled();
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 1_000);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var options = Options(broker, topic, group) with { CommitInterval = TimeSpan.FromMinutes(5) };
        var receiver = KafkaReceiver.Create(options);
        var acknowledged = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? commit = null;
        var subscription = receiver.Receive().Subscribe(record =>
        {
            record.Offset.Acknowledge();
            if (Interlocked.Increment(ref acknowledged) == 500)
            {
                broker.Broker.Faults.DelayResponses(CommitDelay, KafkaApi.OffsetCommit, count: 1);
                commit = record.Offset.CommitAsync();
            }

            if (acknowledged == 1_000)
            {
                done.TrySetResult();
            }
        });

        await done.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await WaitUntil(() => receiver.Statistics.Unacknowledged == 0 && commit is not null, Timeout, "all records acknowledged");
        var clock = Stopwatch.StartNew();
        subscription.Dispose();
        clock.Stop();

        // The delayed commit of the first 500 is answered, and the close's commit of all 1,000 follows it.
        await commit!.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(1_000, Committed(broker, group, topic).Single());
        Assert.True(clock.Elapsed < options.CloseTimeout, $"The close took {clock.ElapsedMilliseconds} ms.");
    }

    [Fact]
    public async Task Rebalance_JoinDuringADelayedCommit_CommitCompletesAndNoRecordIsLost()
    {
        RequireBundled();
        const int records = 4_000;
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, records, partitions: 2);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var options = Options(broker, topic, group) with { CommitInterval = TimeSpan.FromMilliseconds(100) };
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<(int, long), bool>();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Task? commit = null;
        long revokedAt = 0, committedAt = 0;
        var first = KafkaReceiver.Create(options with { OnPartitionsRevoked = _ => Interlocked.CompareExchange(ref revokedAt, Stopwatch.GetTimestamp(), 0) });
        var second = KafkaReceiver.Create(options);
        IDisposable Start(KafkaReceiver<string, string> receiver, bool slow) => receiver.Receive().Subscribe(
            record =>
            {
                seen[(record.Partition.Value, record.Offset.Value)] = true;
                if (slow)
                {
                    Thread.Sleep(1); // the first member's backlog outlasts the join
                }

                record.Offset.Acknowledge();
                if (slow && seen.Count == 200)
                {
                    broker.Broker.Faults.DelayResponses(CommitDelay, KafkaApi.OffsetCommit, count: 1);
                    commit = record.Offset.CommitAsync().ContinueWith(done =>
                    {
                        committedAt = Stopwatch.GetTimestamp();
                        done.GetAwaiter().GetResult();
                    }, TaskScheduler.Default);
                }
            },
            failures.Enqueue);

        using (var a = Start(first, slow: true))
        {
            await WaitUntil(() => commit is not null, Timeout, "the delayed commit is requested");
            using var b = Start(second, slow: false);
            await WaitUntil(() => second.Statistics.AssignedPartitions > 0, Timeout, "the second member gets a partition");
            await WaitUntil(() => seen.Count == records, Timeout, () => $"every record received ({seen.Count})");
            await commit!.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        Assert.Empty(failures);
        // The join's answers queue behind the delayed commit's on the coordinator connection (a connection answers in
        // order), so the revocation follows the commit's return by a few milliseconds rather than overlapping it.
        TestContext.Current.TestOutputHelper?.WriteLine($"revoked {Stopwatch.GetElapsedTime(committedAt, revokedAt).TotalMilliseconds:F0} ms after the delayed commit came back");
        Assert.True(revokedAt != 0, "the second member's join revoked partitions of the first");
        await WaitUntil(() => Committed(broker, group, topic, 2).Sum() == records, Timeout, () => $"committed [{string.Join(", ", Committed(broker, group, topic, 2))}], expected {records / 2} each");
    }

    private void RequireBundled()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("The commit's answer is delayed with fault injection, which needs the bundled broker.");
        }
    }
}
