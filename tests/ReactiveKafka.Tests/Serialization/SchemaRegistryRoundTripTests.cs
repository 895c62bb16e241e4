using System.Reactive.Linq;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Serialization;

/// <summary>
/// Confluent's Schema Registry JSON serdes (Confluent.SchemaRegistry.Serdes.Json) as the sender's and receiver's async
/// serializers, against <see cref="InProcessSchemaRegistry"/> over real HTTP and the bundled broker.
/// </summary>
public sealed class SchemaRegistryRoundTripTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ConfluentJsonSerdes_SendAndReceive_RegisterThenFetchSchemaByIdAndRoundTrip()
    {
        await using var registry = InProcessSchemaRegistry.Start();
        var topic = await broker.CreateTopicAsync();
        var orders = Enumerable.Range(0, 20).Select(i => new RegistryOrder { Id = "o-" + i, Amount = i * 1.5m, Customer = "c" + (i % 3) }).ToList();

        using (var producerClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url }))
        await using (var sender = KafkaSender.Create(new SenderOptions<string, RegistryOrder>(
            broker.ProducerConfig(), valueSerializer: new JsonSerializer<RegistryOrder>(producerClient))))
        {
            var results = await sender.Send(orders.Select(o => new SenderRecord<string, RegistryOrder, string>(topic, o.Id, o, o.Id)).ToObservable())
                .ToList().Timeout(Timeout);
            Assert.All(results, r => Assert.True(r.IsSuccess, r.Exception?.ToString()));
        }

        // On the wire: Confluent's framing with the id the registry gave the value subject.
        var id = registry.IdOf(topic + "-value");
        Assert.NotNull(id);
        var stored = broker.ConsumeUntil(topic, r => r.Count == 20);
        Assert.All(stored, r =>
        {
            Assert.Equal(0, r.Message.Value[0]);
            Assert.Equal(id.Value, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(r.Message.Value.AsSpan(1, 4)));
        });

        // A new client (an empty cache): the deserializer must fetch the writer's schema by id over HTTP.
        using var consumerClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, RegistryOrder>(
            ConsumerConfig(broker), valueDeserializer: new JsonDeserializer<RegistryOrder>(consumerClient, new JsonDeserializerConfig())) { Topics = [topic] });
        var received = await receiver.Receive().Do(r => r.Offset.Acknowledge()).Take(20).Select(r => r.Value).ToList().Timeout(Timeout);
        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(orders.Select(o => (o.Id, o.Amount, o.Customer)), received.Select(o => (o.Id, o.Amount, o.Customer)));
        Assert.Contains($"POST /subjects/{topic}-value/versions", registry.Requests);
        Assert.Contains($"GET /schemas/ids/{id}", registry.Requests);
        Assert.Empty(registry.Unexpected);
    }

    /// <summary>A record type for NJsonSchema's generated schema (public, settable properties).</summary>
    public sealed class RegistryOrder
    {
        public string Id { get; set; } = "";

        public decimal Amount { get; set; }

        public string Customer { get; set; } = "";
    }
}
