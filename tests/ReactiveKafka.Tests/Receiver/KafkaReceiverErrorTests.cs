using System.Reactive.Linq;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>What ends a sequence (bad records, commits failing for good) and what does not (a broker away for a while).</summary>
public sealed class KafkaReceiverErrorTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Receive_UndeserializableValue_EndsWithErrorNamingTopicPartitionAndOffset()
    {
        var topic = await broker.CreateTopicAsync();
        ProduceRaw(broker, topic, [0, 0, 0, 1]);
        ProduceRaw(broker, topic, [0, 0, 0, 2]);
        ProduceRaw(broker, topic, Encoding.UTF8.GetBytes("abc")); // three bytes: not an int
        var options = new ReceiverOptions<string, int>(ConsumerConfig(broker)) { Topics = [topic] };
        var received = new List<int>();

        var error = await Assert.ThrowsAsync<ConsumeException>(async () =>
            await KafkaReceiver.Create(options).Receive().Do(r => received.Add(r.Value)).Timeout(Timeout));

        Assert.Equal([1, 2], received);
        Assert.Equal(ErrorCode.Local_ValueDeserialization, error.Error.Code);
        Assert.Contains($"topic '{topic}' partition 0 offset 2", error.Message);
        Assert.Equal(2, error.ConsumerRecord.Offset.Value);
    }

    [Fact]
    public async Task Receive_UndeserializableValue_RecordsTakenBeforeItAreEmittedEvenWhenEmissionLagsTheError()
    {
        // Emission runs 300 ms behind the consumer loop, so the loop has met the bad record and shut down before the
        // records before it are emitted: they must still come, then the error.
        var topic = await broker.CreateTopicAsync();
        ProduceRaw(broker, topic, [0, 0, 0, 1]);
        ProduceRaw(broker, topic, [0, 0, 0, 2]);
        ProduceRaw(broker, topic, Encoding.UTF8.GetBytes("abc"));
        var options = new ReceiverOptions<string, int>(ConsumerConfig(broker))
        {
            Topics = [topic],
            Scheduler = new DelayingScheduler(TimeSpan.FromMilliseconds(300)),
        };
        var received = new List<int>();

        var error = await Assert.ThrowsAsync<ConsumeException>(async () =>
            await KafkaReceiver.Create(options).Receive().Do(r => received.Add(r.Value)).Timeout(Timeout));

        Assert.Equal([1, 2], received);
        Assert.Equal(2, error.ConsumerRecord.Offset.Value);
    }

    [Fact]
    public async Task CommitAsync_TopicDeleted_RetriesThenEndsTheSequenceWithTheError()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 1);
        var options = Options(broker, topic) with
        {
            Topics = null,
            Assignment = [new TopicPartitionOffset(topic, 0, Offset.Beginning)],
            MaxCommitAttempts = 3,
            CommitRetryInterval = TimeSpan.FromMilliseconds(100),
        };
        var receiver = KafkaReceiver.Create(options);
        var records = receiver.Receive().Replay();
        using var connection = records.Connect();
        var record = await records.FirstAsync().Timeout(Timeout);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.DeleteTopicsAsync([topic]);
        }

        var commitError = await Assert.ThrowsAsync<KafkaException>(() => record.Offset.CommitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var sequenceError = await Assert.ThrowsAsync<KafkaException>(async () => await records.LastAsync().Timeout(Timeout));

        Assert.Equal(ErrorCode.UnknownTopicOrPart, commitError.Error.Code);
        Assert.Same(commitError, sequenceError);
        Assert.Contains("3 attempt(s)", sequenceError.Message);
    }

    [Fact]
    public async Task Receive_BrokerStoppedAndRestarted_SequenceSurvivesAndResumes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "reactivekafka-tests", Guid.NewGuid().ToString("N"));
        var first = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = "127.0.0.1:0", FlushPolicy = BrokerFlushPolicy.OperatingSystem }, TestContext.Current.CancellationToken);
        var listener = first.BootstrapServers;
        KafkaBroker? second = null;
        try
        {
            var topic = "survive-" + Guid.NewGuid().ToString("N");
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = listener }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
            }

            Produce(listener, topic, 5);
            var config = ConsumerConfig(listener);
            config.ReconnectBackoffMaxMs = 500;
            // Commits often, so the first records' offsets are committed before the stop: a commit pending while the
            // broker is down would hold the loop (and its error reports) until the reconnect.
            var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(config) { Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(200) });
            var values = new List<string>();
            Exception? ended = null;
            using var subscription = receiver.Receive().Subscribe(
                r =>
                {
                    lock (values)
                    {
                        values.Add(r.Value);
                    }

                    r.Offset.Acknowledge();
                },
                e => ended = e,
                () => ended = new InvalidOperationException("completed"));
            await WaitUntil(() => { lock (values) { return values.Count == 5; } }, Timeout, "the first records");
            await WaitUntil(() => receiver.Loop!.Commits > 0 && CommittedOffsets(listener, config.GroupId, topic)[0] == 5, Timeout, "the first records' offsets committed");

            // Counted from before the stop: librdkafka reports the lost connections in one burst and then holds back the
            // same error for 30 s, so a burst that came while the broker was still flushing must count.
            var errorsBefore = receiver.Loop!.ClientErrors;
            await first.DisposeAsync();
            await WaitUntil(() => receiver.Loop.ClientErrors > errorsBefore, Timeout, "the client reporting the broker down (and retrying)");
            Assert.Null(ended);

            second = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = listener, FlushPolicy = BrokerFlushPolicy.OperatingSystem }, TestContext.Current.CancellationToken);
            Produce(listener, topic, 5, start: 5);
            await WaitUntil(() => { lock (values) { return values.Count >= 10; } }, Timeout, () => $"records after the restart ({values.Count}, ended: {ended})");
            Assert.Null(ended);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + i), values.Distinct());
        }
        finally
        {
            if (second is not null)
            {
                await second.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs every item on the default scheduler, <paramref name="delay"/> later than asked.</summary>
    private sealed class DelayingScheduler(TimeSpan delay) : System.Reactive.Concurrency.IScheduler
    {
        public DateTimeOffset Now => System.Reactive.Concurrency.DefaultScheduler.Instance.Now;

        public IDisposable Schedule<TState>(TState state, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action) =>
            System.Reactive.Concurrency.DefaultScheduler.Instance.Schedule(state, delay, action);

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action) =>
            System.Reactive.Concurrency.DefaultScheduler.Instance.Schedule(state, dueTime + delay, action);

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action) =>
            System.Reactive.Concurrency.DefaultScheduler.Instance.Schedule(state, dueTime + delay, action);
    }
}
