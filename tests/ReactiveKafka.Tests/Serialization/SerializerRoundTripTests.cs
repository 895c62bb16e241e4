using System.Reactive.Linq;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Serialization;

/// <summary>
/// JSON and asynchronous serializers through a real send and receive on the bundled broker. The asynchronous ones
/// complete off the calling thread, as a Schema Registry serializer does on a cache miss, and write the schema id in
/// the value's first bytes as Confluent's wire format does.
/// </summary>
public sealed class SerializerRoundTripTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Json_SendAndReceive_RoundTrips()
    {
        var topic = await broker.CreateTopicAsync();
        var orders = Enumerable.Range(0, 20).Select(i => new TestOrder("o-" + i, i * 1.5m, ["item-" + i])).ToList();
        await using (var sender = KafkaSender.Create(new SenderOptions<string, TestOrder>(
            broker.ProducerConfig(), valueSerializer: new KafkaJsonSerializer<TestOrder>(TestJson.Default.TestOrder))))
        {
            await sender.Send(orders.Select(o => new SenderRecord<string, TestOrder, string>(topic, o.Id, o, o.Id)).ToObservable()).LastAsync().Timeout(Timeout);
        }

        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, TestOrder>(
            ConsumerConfig(broker), valueDeserializer: new KafkaJsonDeserializer<TestOrder>(TestJson.Default.TestOrder)) { Topics = [topic] });
        var received = await receiver.Receive().Do(r => r.Offset.Acknowledge()).Take(20).Select(r => r.Value).ToList().Timeout(Timeout);

        Assert.Equal(orders.Select(o => (o.Id, o.Amount, o.Items[0])), received.Select(o => (o.Id, o.Amount, o.Items[0])));
    }

    [Fact]
    public async Task Async_SendAsyncStreamAndSingle_AwaitsTheSerializerAndKeepsOrder()
    {
        var topic = await broker.CreateTopicAsync();
        var serializer = new RegistryLikeSerializer();
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: serializer));

        Assert.Same(serializer, sender.Options.AsyncValueSerializer);
        var results = new List<SenderResult<int>>();
        await foreach (var result in sender.SendAsync(Records(topic, 50), TestContext.Current.CancellationToken))
        {
            results.Add(result);
        }

        var single = await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k50", "v50", 50), TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.Correlation));
        Assert.Equal(50, single.Offset.Value);
        Assert.Equal(51, serializer.Calls);
        var stored = broker.ConsumeUntil(topic, r => r.Count == 51);
        Assert.Equal(Enumerable.Range(0, 51).Select(i => "v" + i), stored.Select(r => RegistryLikeSerializer.Payload(r.Message.Value)));
        Assert.All(stored, r => Assert.Equal(RegistryLikeSerializer.SchemaId, r.Message.Value.AsSpan(1, 4).ToArray()));
    }

    [Fact]
    public async Task Async_ObservableSendAndAsyncReceive_RoundTrip()
    {
        var topic = await broker.CreateTopicAsync();
        await using (var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new RegistryLikeSerializer())))
        {
            var results = await sender.Send(Enumerable.Range(0, 30).Select(i => new SenderRecord<string, string, int>(topic, "k" + i, "v" + i, i)).ToObservable())
                .ToList().Timeout(Timeout);
            Assert.Equal(Enumerable.Range(0, 30), results.Select(r => r.Correlation));
        }

        var deserializer = new RegistryLikeDeserializer();
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(ConsumerConfig(broker), valueDeserializer: deserializer) { Topics = [topic] });
        Assert.Same(deserializer, receiver.Options.AsyncValueDeserializer);
        var values = await receiver.Receive().Do(r => r.Offset.Acknowledge()).Take(30).Select(r => r.Value).ToList().Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 30).Select(i => "v" + i), values);
        Assert.Equal(30, deserializer.Calls);
    }

    [Fact]
    public async Task Async_SerializerFails_ThatRecordFailsWithValueSerialization()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new RegistryLikeSerializer())
        {
            StopOnError = false,
        });

        var failed = await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", RegistryLikeSerializer.Rejected, 1), TestContext.Current.CancellationToken);
        var next = await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "fine", 2), TestContext.Current.CancellationToken);

        var error = Assert.IsType<ProduceException<string, string>>(failed.Exception);
        Assert.Equal(ErrorCode.Local_ValueSerialization, error.Error.Code);
        Assert.True(next.IsSuccess);
    }

    private static async IAsyncEnumerable<SenderRecord<string, string, int>> Records(string topic, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return new SenderRecord<string, string, int>(topic, "k" + i, "v" + i, i);
        }
    }

    /// <summary>Confluent's framing (magic 0, 4-byte schema id, payload); completes on another thread, as a registry call does.</summary>
    private sealed class RegistryLikeSerializer : IAsyncSerializer<string>
    {
        public const string Rejected = "reject me";
        public static readonly byte[] SchemaId = [0, 0, 0, 7];
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public static string Payload(byte[] value) => Encoding.UTF8.GetString(value, 5, value.Length - 5);

        public async Task<byte[]> SerializeAsync(string data, SerializationContext context)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(1).ConfigureAwait(false);
            if (data == Rejected)
            {
                throw new InvalidOperationException("the registry refused the schema");
            }

            return [0, .. SchemaId, .. Encoding.UTF8.GetBytes(data)];
        }
    }

    private sealed class RegistryLikeDeserializer : IAsyncDeserializer<string>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public async Task<string> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(1).ConfigureAwait(false);
            Assert.Equal(0, data.Span[0]);
            return Encoding.UTF8.GetString(data.Span[5..]);
        }
    }
}
