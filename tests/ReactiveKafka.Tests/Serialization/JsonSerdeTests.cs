using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Tests.Serialization;

/// <summary>The System.Text.Json serializer and deserializer on their own: pure, no broker.</summary>
public sealed class JsonSerdeTests
{
    private static readonly SerializationContext Context = new(MessageComponentType.Value, "orders");

    [Fact]
    public void SourceGenerated_RoundTrip_KeepsEveryField()
    {
        var order = new TestOrder("o-1", 42.5m, ["a", "b"]);

        var bytes = new KafkaJsonSerializer<TestOrder>(TestJson.Default.TestOrder).Serialize(order, Context);
        var back = new KafkaJsonDeserializer<TestOrder>(TestJson.Default.TestOrder).Deserialize(bytes, isNull: false, Context);

        Assert.Equal("{\"id\":\"o-1\",\"amount\":42.5,\"items\":[\"a\",\"b\"]}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(order.Id, back.Id);
        Assert.Equal(order.Amount, back.Amount);
        Assert.Equal(order.Items, back.Items);
    }

    [Fact]
    public void Reflection_DefaultOptions_AreWebCamelCase()
    {
        var bytes = new KafkaJsonSerializer<TestOrder>().Serialize(new TestOrder("o-2", 1m, []), Context);

        Assert.Equal("{\"id\":\"o-2\",\"amount\":1,\"items\":[]}", Encoding.UTF8.GetString(bytes));
        Assert.Equal("o-2", new KafkaJsonDeserializer<TestOrder>().Deserialize(bytes, false, Context).Id);
    }

    [Fact]
    public void Reflection_CallersOptionsChangedLater_AreNotSeen()
    {
        var options = new JsonSerializerOptions();
        var serializer = new KafkaJsonSerializer<TestOrder>(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseUpper;

        var json = Encoding.UTF8.GetString(serializer.Serialize(new TestOrder("x", 0m, []), Context));

        Assert.StartsWith("{\"Id\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public void NullValue_IsAKafkaNullBothWays()
    {
        Assert.Null(new KafkaJsonSerializer<TestOrder?>(TestJson.Default.TestOrder).Serialize(null, Context));
        Assert.Null(new KafkaJsonDeserializer<TestOrder?>(TestJson.Default.TestOrder).Deserialize(default, isNull: true, Context));
        Assert.Null(new KafkaJsonDeserializer<TestOrder?>(TestJson.Default.TestOrder).Deserialize("null"u8, isNull: false, Context));
    }

    [Fact]
    public void InvalidJson_ThrowsJsonException()
    {
        var deserializer = new KafkaJsonDeserializer<TestOrder>(TestJson.Default.TestOrder);

        Assert.Throws<JsonException>(() => deserializer.Deserialize("{\"id\":"u8, isNull: false, Context));
    }

    [Fact]
    public void Constructor_NullTypeInfo_Throws()
    {
        Assert.Equal("typeInfo", Assert.Throws<ArgumentNullException>(() => new KafkaJsonSerializer<TestOrder>(typeInfo: null!)).ParamName);
        Assert.Equal("typeInfo", Assert.Throws<ArgumentNullException>(() => new KafkaJsonDeserializer<TestOrder>(typeInfo: null!)).ParamName);
    }
}

public sealed record TestOrder(string Id, decimal Amount, IReadOnlyList<string> Items);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TestOrder))]
internal sealed partial class TestJson : JsonSerializerContext;
