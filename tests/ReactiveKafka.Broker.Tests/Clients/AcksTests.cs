using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class AcksTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData(Acks.None)]
    [InlineData(Acks.Leader)]
    public async Task ProduceAsync_WithAcks_RecordsArrive(Acks acks)
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var config = fixture.ProducerConfig();
        config.Acks = acks;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 25).Select(i =>
                producer.ProduceAsync(topic, new Message<Null, string> { Value = $"v{i}" }, TestContext.Current.CancellationToken)));
            if (acks == Acks.Leader)
            {
                Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
                Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), results.Select(r => r.Offset.Value).Order());
            }
            else
            {
                Assert.All(results, r => Assert.NotEqual(PersistenceStatus.NotPersisted, r.Status));
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
        }

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        var received = BrokerFixture.ConsumeCount(consumer, 25, TimeSpan.FromSeconds(15));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"v{i}"), received.Select(r => r.Message.Value));
    }
}
