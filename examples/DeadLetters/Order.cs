using System.Text.Json;
using Confluent.Kafka;

namespace DeadLetters;

/// <summary>An order as the topic carries it (JSON).</summary>
public sealed record Order(int Id, string Item, int Quantity);

/// <summary>Orders from JSON; a record that is not an order throws, so the processor dead-letters it as poison.</summary>
public sealed class OrderDeserializer : IDeserializer<Order>
{
    public Order Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? throw new InvalidDataException("an order cannot be null")
        : JsonSerializer.Deserialize<Order>(data, JsonSerializerOptions.Web) ?? throw new InvalidDataException("an order cannot be null");
}
