using Microsoft.Extensions.Logging;
using ReactiveKafka.Tests.Diagnostics;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Tester finding 2: a subscription to a topic that does not exist waited forever without a word. librdkafka keeps
/// reporting the topic as unavailable; the receiver now logs that once per topic and error, and counts it in its
/// statistics, while it goes on waiting for the topic (librdkafka reports it once per subscription, measured).
/// </summary>
public sealed class KafkaReceiverMissingTopicTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Receive_MissingTopic_OneWarningNamingTheTopicAndTheErrorInTheStatistics()
    {
        var topic = "missing-" + Guid.NewGuid().ToString("N");
        var logs = new CollectingLoggerFactory(LogLevel.Warning);
        var receiver = KafkaReceiver.Create(Options(broker, topic) with { LoggerFactory = logs });
        Exception? ended = null;
        var received = 0;
        using var subscription = receiver.Receive().Subscribe(
            record =>
            {
                record.Offset.Acknowledge();
                Interlocked.Increment(ref received);
            },
            error => ended = error);

        var warning = await logs.WaitForAsync(e => e.EventId.Name == "TopicError", Timeout);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"'{topic}'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("UnknownTopicOrPart", warning.Message, StringComparison.Ordinal);

        Assert.True(receiver.Statistics.ClientErrors >= 1);
        Assert.Contains(topic, receiver.Statistics.LastClientError, StringComparison.Ordinal);
        Assert.Single(logs.Entries, e => e.EventId.Name == "TopicError");

        // Not the end of the sequence: once the topic exists, its records arrive.
        using (var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        }

        Produce(broker, topic, 3);
        await WaitUntil(() => Volatile.Read(ref received) == 3 || ended is not null, Timeout, () => $"the records of the topic created later (got {received})");
        Assert.Null(ended);
    }
}
