using System.Text;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class RoundTripTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Produce_KeyedRecordsOverThreePartitions_ConsumedInOrderWithHeadersAndTimestamps(CompressionType codec)
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 3);
        const int count = 90;
        var baseTime = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        var config = fixture.ProducerConfig();
        config.CompressionType = codec;
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            var tasks = new List<Task<DeliveryResult<string, string>>>();
            for (var i = 0; i < count; i++)
            {
                var message = new Message<string, string>
                {
                    Key = $"key-{i % 7}",
                    Value = $"value-{i}-" + new string('x', i % 13),
                    Timestamp = new Timestamp(baseTime.AddSeconds(i)),
                    Headers = new Headers { { "index", Encoding.UTF8.GetBytes(i.ToString()) }, { "codec", Encoding.UTF8.GetBytes(codec.ToString()) } },
                };
                tasks.Add(producer.ProduceAsync(topic, message, TestContext.Current.CancellationToken));
            }

            var delivered = await Task.WhenAll(tasks);
            Assert.All(delivered, d => Assert.Equal(PersistenceStatus.Persisted, d.Status));
            Assert.Equal(3, delivered.Select(d => d.Partition.Value).Distinct().Count());
        }

        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        consumer.Subscribe(topic);
        var received = BrokerFixture.ConsumeCount(consumer, count, TimeSpan.FromSeconds(20));
        Assert.Equal(count, received.Count);

        foreach (var partition in received.GroupBy(r => r.Partition.Value))
        {
            var indexes = partition.Select(r => int.Parse(Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("index")))).ToList();
            Assert.Equal(indexes.OrderBy(i => i), indexes);
            var offsets = partition.Select(r => r.Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(o => (long)o), offsets);
        }

        // A key always lands in one partition.
        Assert.All(received.GroupBy(r => r.Message.Key), g => Assert.Single(g.Select(r => r.Partition.Value).Distinct()));
        foreach (var record in received)
        {
            var index = int.Parse(Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("index")));
            Assert.Equal($"value-{index}-" + new string('x', index % 13), record.Message.Value);
            Assert.Equal(codec.ToString(), Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("codec")));
            Assert.Equal(2, record.Message.Headers.Count);
            Assert.Equal(TimestampType.CreateTime, record.Message.Timestamp.Type);
            Assert.Equal(baseTime.AddSeconds(index), record.Message.Timestamp.UtcDateTime);
        }

        consumer.Close();
    }
}
