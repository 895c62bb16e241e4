using System.Diagnostics;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class LongPollTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Consume_RecordProducedDuringLongPoll_ReceivedWellBeforeFetchWaitMax()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var config = fixture.ConsumerConfig();
        config.FetchWaitMaxMs = 5000;
        using var consumer = new ConsumerBuilder<Null, string>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));

        // Let the consumer start fetching on the empty partition, so its fetch is parked at the broker.
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(1500)));

        var clock = Stopwatch.StartNew();
        var consumed = Task.Run(() =>
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(15));
            return (result, clock.Elapsed);
        }, TestContext.Current.CancellationToken);

        await Task.Delay(300, TestContext.Current.CancellationToken);
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "wake up" }, TestContext.Current.CancellationToken);
        var acked = clock.Elapsed;

        var (record, receivedAt) = await consumed;
        Assert.NotNull(record);
        Assert.Equal("wake up", record.Message.Value);
        var latency = receivedAt - acked;
        Assert.True(latency < TimeSpan.FromMilliseconds(1500), $"Record arrived {latency.TotalMilliseconds:0} ms after its ack; the long poll was not woken.");
    }
}
