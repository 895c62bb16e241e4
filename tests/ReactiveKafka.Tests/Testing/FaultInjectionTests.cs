using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Testing;
using ReactiveKafka.Testing.Xunit;
using Xunit;

namespace ReactiveKafka.Tests.Testing;

/// <summary>Each fault kind of the bundled broker, observed by a real Confluent client over TCP.</summary>
public sealed class FaultInjectionTests(KafkaBrokerFixture kafka) : IClassFixture<KafkaBrokerFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private KafkaTestBroker Broker => kafka.Broker;

    public void Dispose()
    {
        if (kafka.UnavailableReason is null && kafka.Broker.Kind == KafkaTestBrokerKind.Bundled)
        {
            kafka.Broker.Faults.Clear();
        }
    }

    private void RequireBundled()
    {
        if (Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip($"Fault injection needs the bundled broker; {TestBrokerEnvironment.VariableName} chose {Broker.Kind}.");
        }
    }

    [Fact]
    public async Task FailNext_Produce_ClientSeesTheErrorCodeThenSucceeds()
    {
        RequireBundled();
        var topic = await Broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        Broker.Faults.FailNext(KafkaApi.Produce, ErrorCode.PolicyViolation, count: 1, topic: topic);
        using var producer = new ProducerBuilder<string, string>(Broker.CreateProducerConfig()).Build();

        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v" }, TestContext.Current.CancellationToken));
        var success = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v2" }, TestContext.Current.CancellationToken);

        Assert.Equal(ErrorCode.PolicyViolation, failure.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, success.Status);
    }

    [Fact]
    public async Task FailNext_OffsetCommit_CommitReportsTheErrorForThatPartition()
    {
        RequireBundled();
        var topic = await Broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Broker.ProduceAsync(topic, [("k", "v")], TestContext.Current.CancellationToken);
        using var consumer = new ConsumerBuilder<string, string>(Broker.CreateConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        Broker.Faults.FailNext(KafkaApi.OffsetCommit, ErrorCode.OffsetMetadataTooLarge, topic: topic);

        var error = Assert.ThrowsAny<KafkaException>(() => consumer.Commit([new TopicPartitionOffset(topic, 0, 1)]));
        consumer.Commit([new TopicPartitionOffset(topic, 0, 1)]);

        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, error.Error.Code);
        Assert.Equal(1, consumer.Committed([new TopicPartition(topic, 0)], Timeout).Single().Offset.Value);
    }

    [Fact]
    public async Task DelayResponses_Metadata_ClientWaitsAtLeastTheDelay()
    {
        RequireBundled();
        var topic = await Broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var admin = new AdminClientBuilder(Broker.CreateAdminClientConfig()).Build();
        admin.GetMetadata(topic, Timeout);
        Broker.Faults.DelayResponses(TimeSpan.FromMilliseconds(800), KafkaApi.Metadata, count: 1);

        var clock = Stopwatch.StartNew();
        var metadata = admin.GetMetadata(topic, Timeout);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(750), $"Metadata came back after {clock.ElapsedMilliseconds} ms despite an 800 ms delay.");
        Assert.Equal(topic, metadata.Topics.Single().Topic);
    }

    [Fact]
    public async Task CloseConnections_ProducerReconnectsAndKeepsDelivering()
    {
        RequireBundled();
        var topic = await Broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var producer = new ProducerBuilder<string, string>(Broker.CreateProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "before" }, TestContext.Current.CancellationToken);

        var closed = Broker.Faults.CloseConnections();
        var after = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "after" }, TestContext.Current.CancellationToken);

        Assert.True(closed >= 1, "No connection was open to close.");
        Assert.Equal(PersistenceStatus.Persisted, after.Status);
        var records = await Broker.ConsumeAsync(topic, 2, Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["before", "after"], records.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task CloseConnectionOnNext_Produce_ClientRetriesOnANewConnection()
    {
        RequireBundled();
        var topic = await Broker.CreateTopicAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var producer = new ProducerBuilder<string, string>(Broker.CreateProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "warm-up" }, TestContext.Current.CancellationToken);
        Broker.Faults.CloseConnectionOnNext(KafkaApi.Produce);

        var result = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "retried" }, TestContext.Current.CancellationToken);

        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.False(Broker.Faults.IsActive);
    }

    [Fact]
    public async Task PauseListener_NewClientsCannotConnectUntilResumed()
    {
        RequireBundled();
        await Broker.Faults.PauseListenerAsync();
        try
        {
            using var admin = new AdminClientBuilder(Broker.CreateAdminClientConfig()).Build();
            Assert.ThrowsAny<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(2)));
        }
        finally
        {
            Broker.Faults.ResumeListener();
        }

        using var resumed = new AdminClientBuilder(Broker.CreateAdminClientConfig()).Build();
        Assert.Single(resumed.GetMetadata(Timeout).Brokers);
        await Task.CompletedTask;
    }

    [Fact]
    public void FailNext_ClientSideOrNoErrorCode_RejectedNamingTheArgument()
    {
        RequireBundled();

        var local = Assert.Throws<ArgumentOutOfRangeException>(() => Broker.Faults.FailNext(KafkaApi.Produce, ErrorCode.Local_Transport));
        var none = Assert.Throws<ArgumentOutOfRangeException>(() => Broker.Faults.FailNext(KafkaApi.Produce, ErrorCode.NoError));

        Assert.Equal("error", local.ParamName);
        Assert.Contains("client-side", local.Message);
        Assert.Equal("error", none.ParamName);
        Assert.False(Broker.Faults.IsActive);
    }

    [Fact]
    public void KafkaApi_EveryMember_IsTheWireApiKeyOfTheSameName()
    {
        foreach (var api in Enum.GetValues<KafkaApi>())
        {
            Assert.Equal(api.ToString(), ((ReactiveKafka.Protocol.ApiKey)(short)api).ToString());
        }
    }
}
