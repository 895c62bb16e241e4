using Confluent.Kafka;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>Confluent.Kafka producers with <c>enable.idempotence=true</c> against the bundled broker, over TCP.</summary>
public sealed class IdempotentProducerTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProducerConfig IdempotentConfig()
    {
        var config = fixture.ProducerConfig();
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        return config;
    }

    [Fact]
    public async Task IdempotentProducer_RecordsArriveOnceInOrder()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using (var producer = new ProducerBuilder<Null, string>(IdempotentConfig()).Build())
        {
            for (var i = 0; i < 200; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = $"v{i}" });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(20)));
        }

        var log = fixture.Broker.Topics.GetPartition(topic, 0)!;
        Assert.Equal(200, log.LogEndOffset);
        var producerState = Assert.Single(log.DescribeProducers());
        Assert.Equal((short)0, producerState.ProducerEpoch);
        Assert.Equal(199, producerState.LastSequence);
        AssertConsumed(topic, 200);
    }

    [Fact]
    public async Task LostAcknowledgements_AreRetried_WithoutDuplicates()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var config = IdempotentConfig();
        config.LingerMs = 0;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            // Warm up (InitProducerId, metadata), then lose the responses of the next produce requests after their append.
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "v0" }, Ct);
            fixture.Broker.Faults.CloseConnectionAfterNext(ApiKey.Produce, count: 3, topic: topic);
            var results = await Task.WhenAll(Enumerable.Range(1, 99).Select(i =>
                producer.ProduceAsync(topic, new Message<Null, string> { Value = $"v{i}" }, Ct)));

            Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
            Assert.Equal(Enumerable.Range(1, 99).Select(i => (long)i), results.Select(r => r.Offset.Value));
        }

        fixture.Broker.Faults.Clear();
        Assert.Equal(100, fixture.Broker.Topics.GetPartition(topic, 0)!.LogEndOffset);
        AssertConsumed(topic, 100);
    }

    [Fact]
    public async Task EachProducer_GetsItsOwnProducerId()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        for (var p = 0; p < 2; p++)
        {
            using var producer = new ProducerBuilder<Null, string>(IdempotentConfig()).Build();
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"p{p}" }, Ct);
        }

        var producers = fixture.Broker.Topics.GetPartition(topic, 0)!.DescribeProducers();
        Assert.Equal(2, producers.Select(p => p.ProducerId).Distinct().Count());
        Assert.All(producers, p => Assert.Equal(0, p.LastSequence));
    }

    private void AssertConsumed(string topic, int count)
    {
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        var received = BrokerFixture.ConsumeCount(consumer, count, TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"v{i}"), received.Select(r => r.Message.Value));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300))); // nothing beyond: no duplicate
    }
}
