using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class BadInputTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Connection_OversizedLengthPrefix_ClosedAndBrokerKeepsServing()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0 }, TestContext.Current.CancellationToken);
        Assert.True(await IsClosedAsync(stream), "The broker kept a connection that announced a 2 GiB request.");
        await AssertServesClientsAsync();
    }

    [Fact]
    public async Task Connection_GarbageBytes_ClosedAndBrokerKeepsServing()
    {
        using var client = await ConnectAsync();
        var garbage = new byte[64];
        new Random(42).NextBytes(garbage);
        BinaryPrimitives.WriteInt32BigEndian(garbage, 60);
        BinaryPrimitives.WriteInt16BigEndian(garbage.AsSpan(4), unchecked((short)0xBEEF));
        var stream = client.GetStream();
        await stream.WriteAsync(garbage, TestContext.Current.CancellationToken);
        Assert.True(await IsClosedAsync(stream), "The broker kept a connection that sent garbage.");
        await AssertServesClientsAsync();
    }

    [Fact]
    public async Task Connection_TruncatedRequest_ClosedAndBrokerKeepsServing()
    {
        using var client = await ConnectAsync();
        var bytes = new byte[14];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 100);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(4), 18);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
        client.Client.Shutdown(SocketShutdown.Send);
        Assert.True(await IsClosedAsync(stream), "The broker did not close a connection whose request was cut short.");
        await AssertServesClientsAsync();
    }

    [Fact]
    public async Task Connection_UnknownApiKey_ClosedAndBrokerKeepsServing()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Request(apiKey: 999, version: 0, correlationId: 7, headerTags: false), TestContext.Current.CancellationToken);
        Assert.True(await IsClosedAsync(stream), "The broker kept a connection that sent API key 999.");
        await AssertServesClientsAsync();
    }

    [Fact]
    public async Task ApiVersions_Version99_UnsupportedVersionInV0Format()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Request(apiKey: 18, version: 99, correlationId: 4242, headerTags: true), TestContext.Current.CancellationToken);

        var sizeBytes = await ReadExactlyAsync(stream, 4);
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        Assert.InRange(size, 10, 64 * 1024);
        var body = await ReadExactlyAsync(stream, size);
        Assert.Equal(4242, BinaryPrimitives.ReadInt32BigEndian(body));
        Assert.Equal(35, BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(4)));
        var count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(6));
        Assert.InRange(count, 1, 1000);
        Assert.Equal(10 + (count * 6), size);
        var keys = Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(10 + (i * 6)))).ToList();
        Assert.Contains((short)18, keys);
        var apiVersions = keys.IndexOf(18);
        var max = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(10 + (apiVersions * 6) + 4));
        Assert.InRange(max, (short)3, (short)98);

        // The connection stays usable: a v0 ApiVersions on it is answered.
        await stream.WriteAsync(Request(apiKey: 18, version: 0, correlationId: 4243, headerTags: false), TestContext.Current.CancellationToken);
        var next = await ReadExactlyAsync(stream, BinaryPrimitives.ReadInt32BigEndian(await ReadExactlyAsync(stream, 4)));
        Assert.Equal(4243, BinaryPrimitives.ReadInt32BigEndian(next));
        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(next.AsSpan(4)));
        await AssertServesClientsAsync();
    }

    /// <summary>A request with an empty body: size, api key, version, correlation id, client id, optional header tags.</summary>
    private static byte[] Request(short apiKey, short version, int correlationId, bool headerTags)
    {
        var clientId = Encoding.UTF8.GetBytes("raw-test");
        var length = 2 + 2 + 4 + 2 + clientId.Length + (headerTags ? 2 : 0);
        var bytes = new byte[4 + length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(6), version);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(12), (short)clientId.Length);
        clientId.CopyTo(bytes, 14);

        // Header tagged fields (0) then the body's tagged fields (0); the trailing zeros are already there.
        return bytes;
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(fixture.Broker.ListenEndPoint, TestContext.Current.CancellationToken);
        return client;
    }

    private static async Task<bool> IsClosedAsync(NetworkStream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(ReadTimeout);
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true; // reset by the broker
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(ReadTimeout);
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    private async Task AssertServesClientsAsync()
    {
        var topic = BrokerFixture.NewTopic();
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "still here" }, TestContext.Current.CancellationToken);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        using var admin = fixture.NewAdmin();
        Assert.Contains(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic);
    }
}
