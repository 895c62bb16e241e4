using System.Reactive.Linq;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>librdkafka's log lines and error events, and the receiver's own events, reach the options' ILoggerFactory.</summary>
public sealed class LoggingTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    [Fact]
    public async Task Sender_UnreachableBroker_ClientErrorLoggedAsWarningUnderLibrdkafkaCategory()
    {
        var logs = new CollectingLoggerFactory();
        var options = new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1", SocketConnectionSetupTimeoutMs = 1000 })
        {
            LoggerFactory = logs,
            CloseTimeout = TimeSpan.Zero,
        };
        await using var sender = KafkaSender.Create(options);

        var entry = await logs.WaitForAsync(e => e.Category == KafkaDiagnostics.LibrdkafkaCategory && e.EventId.Name == "ClientError");

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("rdkafka#producer", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receiver_DebugProperty_LibrdkafkaLinesLoggedWithFacilityAtDebug()
    {
        var topic = await broker.CreateTopicAsync();
        var logs = new CollectingLoggerFactory();
        var config = ReceiverTestKit.ConsumerConfig(broker);
        config.Debug = "cgrp";
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(config) { Topics = [topic], LoggerFactory = logs });

        using (receiver.Receive().Subscribe(_ => { }))
        {
            var entry = await logs.WaitForAsync(e => e.Category == KafkaDiagnostics.LibrdkafkaCategory && e.EventId.Name == "LibrdkafkaLog" && e.Level == LogLevel.Debug);
            Assert.Contains("rdkafka#consumer", entry.Message, StringComparison.Ordinal);
        }

        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Receiver_Assignment_LoggedAsInformationUnderReceiverCategory()
    {
        var topic = await broker.CreateTopicAsync();
        var logs = new CollectingLoggerFactory(LogLevel.Information);
        var options = ReceiverTestKit.Options(broker, topic) with { LoggerFactory = logs };
        var receiver = KafkaReceiver.Create(options);

        using (receiver.Receive().Subscribe(_ => { }))
        {
            var entry = await logs.WaitForAsync(e => e.Category == KafkaDiagnostics.ReceiverCategory && e.EventId.Name == "PartitionsAssigned");
            Assert.Equal(LogLevel.Information, entry.Level);
            Assert.Contains(topic, entry.Message, StringComparison.Ordinal);
        }

        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Contains(logs.Entries, e => e.EventId.Name == "PartitionsRevoked" && e.Message.Contains(topic, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Level == LogLevel.Debug);
    }
}
