using System.Diagnostics;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// The first acknowledgement of a fresh producer (acks=all, the durable default, an existing topic). With librdkafka
/// 2.16 it costs the connections, one Metadata round, librdkafka's own ~50 ms pause before it connects to the leader it
/// learned (sparse connections; its mock cluster shows the same), and one fsync. The ~1 s seen with other clients is
/// librdkafka before 2.10.1 holding the first record of a topic for its 1 s metadata timer (its issue #5032).
/// </summary>
public sealed class FirstAckTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task ProduceAsync_FreshProducer_FirstAcknowledgementWithinMilliseconds()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var firstAcks = new List<TimeSpan>();
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = fixture.BootstrapServers, Acks = Acks.All }).Build();
            var delivered = await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"run {run}" }, TestContext.Current.CancellationToken);
            firstAcks.Add(watch.Elapsed);
            Assert.Equal(run, delivered.Offset.Value);
        }

        var median = firstAcks.Order().ElementAt(firstAcks.Count / 2);
        Assert.True(median < TimeSpan.FromMilliseconds(300),
            $"Median first acknowledgement {median.TotalMilliseconds:0} ms ({string.Join(", ", firstAcks.Select(t => $"{t.TotalMilliseconds:0}"))} ms).");
    }
}
