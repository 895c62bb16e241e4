using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka;
using ReactiveKafka.Testing;
using ReactiveKafka.Testing.Xunit;
using Xunit;

namespace TestingYourPipeline;

/// <summary>
/// A user's tests of their pipeline: one broker for the class (the bundled broker unless
/// REACTIVEKAFKA_TEST_BROKER says otherwise), a fresh topic per test.
/// </summary>
public sealed class PaidOrderForwarderTests(KafkaBrokerFixture kafka) : IClassFixture<KafkaBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Run_MixedOrders_ForwardsOnlyThePaidOnesAndCommitsTheInput()
    {
        var broker = kafka.Broker;
        var input = await broker.CreateTopicAsync(partitions: 2, cancellationToken: TestContext.Current.CancellationToken);
        var output = await broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        var group = "forwarder-" + Guid.NewGuid().ToString("N")[..8];
        await broker.ProduceAsync(input, [("c1", "o1:paid"), ("c2", "o2:open"), ("c1", "o3:paid"), ("c3", "o4:open")], TestContext.Current.CancellationToken);
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.CreateProducerConfig()));

        var forwarded = await new PaidOrderForwarder(broker.BootstrapServers, group, input, output)
            .Run(sender).Take(2).ToList().Timeout(Timeout);
        var copied = await broker.ConsumeAsync(output, 2, Timeout, TestContext.Current.CancellationToken);

        Assert.All(forwarded, r => Assert.True(r.IsSuccess));
        Assert.Equal(["O1:PAID", "O3:PAID"], copied.Select(r => r.Message.Value).Order());
        await WaitForCommittedAsync(broker.CreateConsumerConfig(group), input, partitions: 2, total: 4);
    }

    [Fact]
    public async Task CommitAsync_BrokerRejectsTheCommit_FailureIsSurfaced()
    {
        var broker = kafka.Broker;
        if (broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("Fault injection needs the bundled broker.");
        }

        var input = await broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        await broker.ProduceAsync(input, [("c1", "o1:paid")], TestContext.Current.CancellationToken);
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(broker.CreateConsumerConfig()) { Topics = [input], MaxCommitAttempts = 1 });
        var first = new TaskCompletionSource<ReceiverRecord<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = receiver.Receive().Subscribe(r => first.TrySetResult(r), e => first.TrySetException(e));
        var record = await first.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // Not a retriable error: the commit fails at once and the caller is told, with the broker's code.
        broker.Faults.FailNext(KafkaApi.OffsetCommit, ErrorCode.GroupAuthorizationFailed);
        var error = await Assert.ThrowsAnyAsync<KafkaException>(() => record.Offset.CommitAsync(TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.GroupAuthorizationFailed, error.Error.Code);
    }

    private static async Task WaitForCommittedAsync(ConsumerConfig config, string topic, int partitions, long total)
    {
        using var consumer = new ConsumerBuilder<string, string>(config).Build();
        var deadline = DateTime.UtcNow + Timeout;
        long committed = 0;
        while (DateTime.UtcNow < deadline)
        {
            committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(5))
                .Sum(c => Math.Max(0, c.Offset.Value));
            if (committed == total)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Committed offsets of {topic} sum to {committed}, expected {total}.");
    }
}
