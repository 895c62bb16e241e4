using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Tests.Serialization;

/// <summary>How options take asynchronous serializers and deserializers: pure, no broker.</summary>
public sealed class AsyncSerdeOptionsTests
{
    private static readonly ProducerConfig Producer = new() { BootstrapServers = "127.0.0.1:9092" };
    private static readonly ConsumerConfig Consumer = new() { BootstrapServers = "127.0.0.1:9092", GroupId = "g" };

    [Fact]
    public void Sender_AsyncValueOnly_KeyIsBuiltInAndValueHasASyncView()
    {
        var value = new AsyncSerde<TestOrder>();

        var options = new SenderOptions<string, TestOrder>(Producer, valueSerializer: value);

        Assert.Same(Serializers.Utf8, options.KeySerializer);
        Assert.Null(options.AsyncKeySerializer);
        Assert.Same(value, options.AsyncValueSerializer);
        Assert.NotNull(options.ValueSerializer);
    }

    [Fact]
    public void Sender_SyncKeyAndAsyncValue_PicksTheMixedConstructor()
    {
        var key = new KafkaJsonSerializer<TestOrder>(TestJson.Default.TestOrder);
        var value = new AsyncSerde<TestOrder>();

        var options = new SenderOptions<TestOrder, TestOrder>(Producer, key, value);

        Assert.Same(key, options.KeySerializer);
        Assert.Null(options.AsyncKeySerializer);
        Assert.Same(value, options.AsyncValueSerializer);
    }

    [Fact]
    public void Sender_SettingTheSyncSerializer_ClearsTheAsyncOne()
    {
        var options = new SenderOptions<string, string>(Producer, valueSerializer: new AsyncSerde<string>());

        var changed = options with { ValueSerializer = Serializers.Utf8 };

        Assert.Null(changed.AsyncValueSerializer);
        Assert.Same(Serializers.Utf8, changed.ValueSerializer);
        Assert.NotNull(options.AsyncValueSerializer);
    }

    [Fact]
    public void Sender_AsyncForTypeWithoutBuiltIn_StillRequiresTheOther()
    {
        var error = Assert.Throws<ArgumentException>(() => new SenderOptions<TestOrder, string>(Producer, valueSerializer: new AsyncSerde<string>()));

        Assert.Equal("KeySerializer", error.ParamName);
    }

    [Fact]
    public void Sender_NullAsyncSerializer_ThrowsNamingIt()
    {
        var options = new SenderOptions<string, string>(Producer);

        Assert.Equal("AsyncKeySerializer", Assert.Throws<ArgumentNullException>(() => options with { AsyncKeySerializer = null }).ParamName);
    }

    [Fact]
    public void Receiver_AsyncValue_HasASyncViewForTheConsumer()
    {
        var value = new AsyncSerde<TestOrder>();

        var options = new ReceiverOptions<string, TestOrder>(Consumer, valueDeserializer: value);
        var cleared = options with { AsyncKeyDeserializer = new AsyncSerde<string>(), ValueDeserializer = new KafkaJsonDeserializer<TestOrder>(TestJson.Default.TestOrder) };

        Assert.Same(value, options.AsyncValueDeserializer);
        Assert.NotNull(options.ValueDeserializer);
        Assert.Same(Deserializers.Utf8, options.KeyDeserializer);
        Assert.Null(cleared.AsyncValueDeserializer);
        Assert.NotNull(cleared.AsyncKeyDeserializer);
    }

    private sealed class AsyncSerde<T> : IAsyncSerializer<T>, IAsyncDeserializer<T>
    {
        public Task<byte[]> SerializeAsync(T data, SerializationContext context) => Task.FromResult(Array.Empty<byte>());

        public Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context) => Task.FromResult(default(T)!);
    }
}
