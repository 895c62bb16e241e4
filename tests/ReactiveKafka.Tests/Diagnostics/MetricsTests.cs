using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>The <c>ReactiveKafka</c> meter's instruments, observed through a MeterListener over real sends and receives.</summary>
public sealed class MetricsTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private const string Destination = "messaging.destination.name";
    private const string Group = "messaging.consumer.group.name";

    [Fact]
    public async Task Send_TenRecords_SentCounterAndSendDurationPerRecord()
    {
        using var metrics = new MetricsCollector();
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig()));

        var results = await sender.Send(Observable.Range(0, 10).Select(i => new SenderRecord<string, string, int>(topic, "k", "v" + i, i))).ToList();

        Assert.All(results, r => Assert.True(r.IsSuccess));
        var sent = metrics.Of("messaging.client.sent.messages", Destination, topic).ToList();
        Assert.Equal(10, sent.Sum(m => m.Value));
        Assert.All(sent, m =>
        {
            Assert.Equal("kafka", m.Tag("messaging.system"));
            Assert.Equal("send", m.Tag("messaging.operation.name"));
            Assert.Equal("0", m.Tag("messaging.destination.partition.id"));
            Assert.Null(m.Tag("error.type"));
        });
        var durations = metrics.Of("messaging.client.operation.duration", Destination, topic).ToList();
        Assert.Equal(10, durations.Count);
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 30));
    }

    [Fact]
    public async Task Send_BrokerUnreachable_InFlightGaugeThenFailuresWithErrorType()
    {
        using var metrics = new MetricsCollector();
        var topic = "unreachable-" + Guid.NewGuid().ToString("N");
        var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }) { CloseTimeout = TimeSpan.Zero });
        var sends = Enumerable.Range(0, 5).Select(i => sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "v", i))).ToList();

        // The records wait in librdkafka for a broker: the sender's in-flight gauge shows them.
        var client = sender.DoOnProducer(p => p.Name);
        await metrics.WaitUntilAsync(
            m => m.Of("reactivekafka.sender.in_flight", "messaging.client.id", client).LastOrDefault()?.Value == 5, "5 records in flight");

        await sender.DisposeAsync();
        foreach (var send in sends)
        {
            await Assert.ThrowsAsync<ProduceException<string, string>>(() => send.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        }

        var failed = metrics.Of("messaging.client.sent.messages", Destination, topic).ToList();
        Assert.Equal(5, failed.Sum(m => m.Value));
        Assert.All(failed, m => Assert.Equal(nameof(ErrorCode.Local_Destroy), m.Tag("error.type")));
    }

    [Fact]
    public async Task Receive_AcknowledgedRecords_ConsumedAcknowledgedCommittedAndCommitDuration()
    {
        using var metrics = new MetricsCollector();
        var topic = await broker.CreateTopicAsync();
        ReceiverTestKit.Produce(broker, topic, 20);
        var options = ReceiverTestKit.Options(broker, topic);
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);

        using (receiver.Receive().Subscribe(r => r.Offset.Acknowledge()))
        {
            await metrics.WaitUntilAsync(m => m.Of("reactivekafka.receiver.committed.messages", Group, group).Sum(x => x.Value) >= 20, "20 committed");
            await metrics.WaitUntilAsync(m => m.Of("reactivekafka.receiver.lag", Group, group).LastOrDefault()?.Value == 0, "lag 0 once all are read");
        }

        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(20, metrics.Of("messaging.client.consumed.messages", Group, group).Sum(m => m.Value));
        Assert.Equal(20, metrics.Of("reactivekafka.receiver.acknowledged.messages", Group, group).Sum(m => m.Value));
        Assert.Equal(20, metrics.Of("reactivekafka.receiver.committed.messages", Group, group).Sum(m => m.Value));
        Assert.All(metrics.Of("messaging.client.consumed.messages", Group, group), m =>
        {
            Assert.Equal(topic, m.Tag(Destination));
            Assert.Equal("0", m.Tag("messaging.destination.partition.id"));
        });
        var commits = metrics.Of("messaging.client.operation.duration", Group, group).ToList();
        Assert.NotEmpty(commits);
        Assert.All(commits, m =>
        {
            Assert.Equal("commit", m.Tag("messaging.operation.name"));
            Assert.Null(m.Tag("error.type"));
        });
    }

    [Fact]
    public async Task Receive_UnacknowledgedBoundReached_PausedForBackpressureWithLagThenPauseDuration()
    {
        using var metrics = new MetricsCollector();
        var topic = await broker.CreateTopicAsync();
        ReceiverTestKit.Produce(broker, topic, 100);
        var options = ReceiverTestKit.Options(broker, topic) with { MaxUnacknowledged = 10 };
        var group = options.ConsumerProperties["group.id"];
        var receiver = KafkaReceiver.Create(options);
        var received = new System.Collections.Concurrent.ConcurrentQueue<ReceiverRecord<string, string>>();

        using (receiver.Receive().Subscribe(received.Enqueue))
        {
            await metrics.WaitUntilAsync(
                m => m.All.LastOrDefault(x => x.Instrument == "reactivekafka.receiver.paused.partitions" && x.Tag(Group) == group && x.Tag("reactivekafka.pause.reason") == "backpressure")?.Value == 1,
                "one partition paused for backpressure");
            await metrics.WaitUntilAsync(m => m.Of("reactivekafka.receiver.lag", Group, group).LastOrDefault()?.Value == 90, "lag 90 (10 of 100 taken)");
            Assert.True(receiver.Statistics.BackpressurePause > TimeSpan.Zero);
            Assert.Equal(90, receiver.Statistics.Lag);

            foreach (var record in received)
            {
                record.Offset.Acknowledge();
            }

            await metrics.WaitUntilAsync(m => m.Of("reactivekafka.receiver.pause.duration", Group, group).Any(), "the pause's duration once released");
        }

        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var pause = Assert.Single(metrics.Of("reactivekafka.receiver.pause.duration", Group, group));
        Assert.Equal("backpressure", pause.Tag("reactivekafka.pause.reason"));
        Assert.InRange(pause.Value, 0.001, 60);
    }
}
