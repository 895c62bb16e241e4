using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Rebalances: members join and leave while records flow; revoked partitions commit first and never later.</summary>
public sealed class KafkaReceiverRebalanceTests(BundledBrokerFixture broker, ITestOutputHelper output) : IClassFixture<BundledBrokerFixture>
{
    private const int Records = 30_000;
    private const int Partitions = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Receive_MembersJoinAndLeaveWhileRecordsFlow_EveryRecordAcknowledgedAtLeastOnce()
    {
        var topic = await broker.CreateTopicAsync(partitions: Partitions);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var seen = new ConcurrentDictionary<(int Partition, long Offset), int>();
        var emittedRevoked = 0;
        var options = Options(broker, topic, group) with { BufferSize = 200, CommitInterval = TimeSpan.FromMilliseconds(100) };

        IDisposable Start(out KafkaReceiver<string, string> receiver)
        {
            receiver = KafkaReceiver.Create(options);
            return receiver.Receive().Subscribe(record =>
            {
                if (record.Offset.Partition!.IsRevoked)
                {
                    Interlocked.Increment(ref emittedRevoked);
                }

                seen.AddOrUpdate((record.Partition.Value, record.Offset.Value), 1, static (_, n) => n + 1);
                Thread.SpinWait(2000); // some processing, so that records are in flight when the group changes
                record.Offset.Acknowledge();
            });
        }

        // Records keep arriving while members come and go.
        var producing = Task.Run(() =>
        {
            for (var chunk = 0; chunk < 10; chunk++)
            {
                Produce(broker, topic, Records / 10, Partitions, start: chunk * (Records / 10));
            }
        }, TestContext.Current.CancellationToken);

        var a = Start(out var receiverA);
        await WaitUntil(() => seen.Count >= Records / 6, Timeout, () => $"A alone reads ({seen.Count})");
        var b = Start(out var receiverB);
        await WaitUntil(() => receiverB.Loop?.Assignments > 0 && seen.Count >= Records / 3, Timeout, () => $"B joins ({seen.Count})");
        var c = Start(out var receiverC);
        await WaitUntil(() => receiverC.Loop?.Assignments > 0 && seen.Count >= Records / 2, Timeout, () => $"C joins ({seen.Count})");
        a.Dispose();
        await WaitUntil(() => seen.Count >= 2 * Records / 3, Timeout, () => $"B and C go on after A left ({seen.Count})");
        b.Dispose();
        await producing;
        await WaitUntil(() => seen.Count == Records, Timeout, () => $"every record received ({seen.Count})");
        c.Dispose();

        var duplicates = seen.Values.Sum(n => n - 1);
        var committed = Committed(broker, group, topic, Partitions);
        output.WriteLine(
            $"{Records} records over {Partitions} partitions, 3 members joining and leaving: {duplicates} duplicates " +
            $"({100.0 * duplicates / Records:F2} %); revocations A {receiverA.Loop!.Revocations}, B {receiverB.Loop!.Revocations}, C {receiverC.Loop!.Revocations}; " +
            $"committed [{string.Join(", ", committed)}]");
        Assert.Equal(Records, seen.Count);
        Assert.Equal(0, emittedRevoked);
        Assert.Equal(Records, committed.Sum());
        Assert.True(receiverB.Loop.Revocations > 0 && receiverC.Loop.Assignments > 0, "the group did rebalance");
    }

    [Fact]
    public async Task Acknowledge_AfterPartitionRevoked_NeverCommits()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 20, partitions: 2);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var options = Options(broker, topic, group) with { CommitInterval = TimeSpan.FromMilliseconds(50) };
        var held = new ConcurrentQueue<ReceiverRecord<string, string>>();
        var receiverA = KafkaReceiver.Create(options);
        using var a = receiverA.Receive().Subscribe(held.Enqueue); // A holds everything unacknowledged
        await WaitUntil(() => held.Count == 20, Timeout, "A received everything");

        var receiverB = KafkaReceiver.Create(options);
        using var b = receiverB.Receive().Subscribe(_ => { }); // B never acknowledges either
        await WaitUntil(() => receiverA.Loop!.Revocations > 0 && receiverB.Loop?.Assignments > 0, Timeout, "the rebalance");
        var revokedCommit = held.First().Offset.CommitAsync(TestContext.Current.CancellationToken);
        foreach (var record in held)
        {
            record.Offset.Acknowledge(); // acknowledgements of an ownership period that ended
        }

        var error = await Assert.ThrowsAsync<KafkaException>(() => revokedCommit.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.Local_State, error.Error.Code);
        await Task.Delay(300, TestContext.Current.CancellationToken); // several interval commits
        Assert.Equal([-1001L, -1001L], Committed(broker, group, topic, 2));
    }

    [Fact]
    public async Task OnPartitionsRevoked_Rebalance_AcknowledgedOffsetsCommittedBeforeTheListenerRuns()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        Produce(broker, topic, 20, partitions: 2);
        var group = "group-" + Guid.NewGuid().ToString("N");
        long[]? committedAtRevoke = null;
        var options = Options(broker, topic, group) with
        {
            CommitInterval = TimeSpan.Zero, // only revocation and close commit
            OnPartitionsRevoked = _ => committedAtRevoke ??= Committed(broker, group, topic, 2),
        };
        var received = 0;
        var receiverA = KafkaReceiver.Create(options);
        using var a = receiverA.Receive().Subscribe(r =>
        {
            r.Offset.Acknowledge();
            Interlocked.Increment(ref received);
        });
        await WaitUntil(() => Volatile.Read(ref received) == 20, Timeout, "A received and acknowledged everything");

        var receiverB = KafkaReceiver.Create(options with { OnPartitionsRevoked = null });
        using var b = receiverB.Receive().Subscribe(_ => { });
        await WaitUntil(() => committedAtRevoke is not null, Timeout, "A's revocation");

        Assert.Equal([10L, 10L], committedAtRevoke!);
    }
}
