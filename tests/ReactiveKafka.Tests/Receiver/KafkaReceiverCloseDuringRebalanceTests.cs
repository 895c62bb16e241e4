using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Closing receivers while their group rebalances (cooperative-sticky): librdkafka's close revokes the partitions from
/// inside <c>Close()</c>, and a synchronous commit made in that callback could block the closing thread for good. Each
/// round closes members at once and while another joins; every close must finish in bounded time, and the group's
/// committed offsets must never pass what was processed.
/// </summary>
public abstract class KafkaReceiverCloseDuringRebalanceTests(FilledTopics topics, ITestOutputHelper output)
{
    private const int Records = 20_000;
    private const int Rounds = 3;
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task CooperativeSticky_MembersClosedTogetherAndDuringAJoin_EveryCloseFinishesAndNoProcessedRecordIsSkipped()
    {
        var topic = await topics.CreateAsync(Records);
        var group = "group-" + Guid.NewGuid().ToString("N");
        var processed = new ConcurrentDictionary<(int Partition, long Offset), int>();
        var config = ConsumerConfig(topics.BootstrapServers, group);
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        var options = new ReceiverOptions<string, string>(config) { Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(100), BufferSize = 100 };
        var longestRelease = TimeSpan.Zero;

        for (var round = 0; round < Rounds; round++)
        {
            var members = Enumerable.Range(0, 3).Select(_ => KafkaReceiver.Create(options)).ToList();
            var subscriptions = members.Select(m => Subscribe(m, processed)).ToList();
            await WaitUntil(() => members.All(m => m.Statistics.AssignedPartitions > 0), Timeout, () => $"round {round}: every member has partitions ({string.Join(" / ", members.Select(m => m.Statistics))})");

            // A fourth member joins; while that rebalance runs, the first member leaves, then the others all at once.
            var joining = KafkaReceiver.Create(options);
            var joiningSubscription = Subscribe(joining, processed);
            await WaitUntil(() => members[0].Loop?.Revocations > 0 || joining.Loop?.Assignments > 0, Timeout, $"round {round}: the fourth member's join started a rebalance");
            subscriptions[0].Dispose();
            await AssertReleased(members[0], round, "the member closed during the join");
            subscriptions.Skip(1).Append(joiningSubscription).ToList().ForEach(s => s.Dispose());
            foreach (var member in members.Skip(1).Append(joining))
            {
                await AssertReleased(member, round, "a member closed together with the others");
            }

            output.WriteLine($"round {round}: {processed.Count} distinct records processed so far");
        }

        // What the group committed is where a new member starts: with every record after it read again, none is missing.
        var last = KafkaReceiver.Create(options);
        using (Subscribe(last, processed))
        {
            await WaitUntil(() => processed.Count == Records, Timeout, () => $"every record processed once the group resumes from its commits ({processed.Count} of {Records})");
        }

        await last.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(ReleaseBound, TestContext.Current.CancellationToken);
        output.WriteLine($"longest release {longestRelease.TotalMilliseconds:F0} ms; re-read (duplicates) {processed.Values.Sum(n => n - 1)}");
        Assert.Equal(Records, processed.Count);

        async Task AssertReleased(KafkaReceiver<string, string> receiver, int round, string which)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var released = receiver.WhenReleasedAsync(TestContext.Current.CancellationToken);
            var finished = await Task.WhenAny(released, Task.Delay(ReleaseBound, TestContext.Current.CancellationToken));
            Assert.True(finished == released, $"round {round}: {which} was released within {ReleaseBound.TotalSeconds} s (statistics {receiver.Statistics}; last commit error {receiver.Loop?.LastCommitError})");
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            longestRelease = took > longestRelease ? took : longestRelease;
        }
    }

    private static IDisposable Subscribe(KafkaReceiver<string, string> receiver, ConcurrentDictionary<(int Partition, long Offset), int> processed) =>
        receiver.Receive().Subscribe(record =>
        {
            processed.AddOrUpdate((record.Partition.Value, record.Offset.Value), 1, static (_, n) => n + 1);
            Thread.SpinWait(5_000); // slow enough that each round ends with a backlog left
            record.Offset.Acknowledge();
        });
}

/// <summary><see cref="KafkaReceiverCloseDuringRebalanceTests"/> on the bundled broker.</summary>
public sealed class KafkaReceiverCloseDuringRebalanceBundledTests(BundledBrokerFixture broker, ITestOutputHelper output)
    : KafkaReceiverCloseDuringRebalanceTests(FilledTopics.On(broker), output), IClassFixture<BundledBrokerFixture>;

/// <summary><see cref="KafkaReceiverCloseDuringRebalanceTests"/> on librdkafka's mock cluster, an independent broker.</summary>
public sealed class KafkaReceiverCloseDuringRebalanceMockClusterTests(MockClusterFixture mock, ITestOutputHelper output)
    : KafkaReceiverCloseDuringRebalanceTests(FilledTopics.On(mock, "close-rebalance-"), output), IClassFixture<MockClusterFixture>;
