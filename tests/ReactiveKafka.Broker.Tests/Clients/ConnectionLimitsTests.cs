using System.Diagnostics;
using System.Net.Sockets;
using Confluent.Kafka;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>A broker with short connection limits, so that the tests see them act within seconds.</summary>
public sealed class ShortConnectionLimitsFixture : BrokerFixture
{
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan PartialRequestTimeout = TimeSpan.FromSeconds(2);
    public const int MaxConnections = 150;

    protected override BrokerOptions Configure(BrokerOptions options) => options with
    {
        ConnectionsMaxIdle = MaxIdle,
        PartialRequestTimeout = PartialRequestTimeout,
        MaxConnections = MaxConnections,
    };
}

/// <summary>
/// Connections that hold a broker slot without using it are closed (Kafka's <c>connections.max.idle.ms</c>, and a
/// deadline for a request that never finishes arriving), so that they cannot lock real clients out.
/// </summary>
public sealed class ConnectionLimitsTests(ShortConnectionLimitsFixture fixture) : IClassFixture<ShortConnectionLimitsFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IdleConnectionsFillingMaxConnections_ClosedAfterTheIdleTime_RealClientsServedAgain()
    {
        await WaitForNoConnectionsAsync();
        var idle = new List<TcpClient>();
        try
        {
            // Every slot taken by a connection that never sends a byte: the 2,000 idle sockets, scaled down.
            for (var i = 0; i < ShortConnectionLimitsFixture.MaxConnections; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
                idle.Add(client);
            }

            var watch = Stopwatch.StartNew();
            await BrokerFixture.WaitUntilAsync(() => fixture.Broker.ConnectionCount == 0, Timeout, "the broker to close the idle connections");
            Assert.True(watch.Elapsed >= ShortConnectionLimitsFixture.MaxIdle / 2, $"Closed after {watch.Elapsed.TotalMilliseconds:0} ms, well before the idle time.");
            foreach (var client in idle)
            {
                Assert.True(await IsClosedByBrokerAsync(client.GetStream()), "An idle connection was left open.");
            }

            await AssertServesRealClientsAsync();
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task SlowLorisTricklingBytes_ClosedAfterThePartialRequestTimeout_RealClientsServedAgain()
    {
        await WaitForNoConnectionsAsync();
        var loris = new List<RawKafkaConnection>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                loris.Add(await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct));
            }

            var (frame, _) = loris[0].Frame(new ApiVersionsRequest(), 0);

            // Two bytes a second: never idle for the idle time, never a whole request (that would take far longer than the deadline).
            var watch = Stopwatch.StartNew();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var trickle = Task.Run(async () =>
            {
                for (var at = 0; at < frame.Length && !stop.IsCancellationRequested; at++)
                {
                    foreach (var connection in loris)
                    {
                        try
                        {
                            await connection.Socket.SendAsync(frame.AsMemory(at, 1), stop.Token);
                        }
                        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
                        {
                            // Closed by the broker: what the test waits for.
                        }
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(500), stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }, Ct);

            foreach (var connection in loris)
            {
                Assert.True(await IsClosedByBrokerAsync(connection.Socket), "A slow-loris connection was not closed.");
            }

            var closedAfter = watch.Elapsed;
            await stop.CancelAsync();
            await trickle;
            Assert.True(closedAfter >= ShortConnectionLimitsFixture.PartialRequestTimeout * 0.9, $"Closed after {closedAfter.TotalMilliseconds:0} ms, before the deadline.");
            await AssertServesRealClientsAsync();
        }
        finally
        {
            loris.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task RequestSentInPiecesWithinTheDeadline_IsAnswered()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (frame, id) = connection.Frame(new ApiVersionsRequest(), 0);
        var third = frame.Length / 3;
        await connection.Socket.SendAsync(frame.AsMemory(0, third), Ct);
        await Task.Delay(ShortConnectionLimitsFixture.PartialRequestTimeout / 4, Ct);
        await connection.Socket.SendAsync(frame.AsMemory(third, third), Ct);
        await Task.Delay(ShortConnectionLimitsFixture.PartialRequestTimeout / 4, Ct);
        await connection.Socket.SendAsync(frame.AsMemory(2 * third), Ct);

        var response = await connection.ReceiveAsync<ApiVersionsResponse>(id, 0, Ct);
        Assert.Equal(0, response.ErrorCode);
    }

    [Fact]
    public async Task LongPollLongerThanTheIdleTime_ConnectionNotClosedWhileTheRequestWaits()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var wait = ShortConnectionLimitsFixture.MaxIdle * 3;
        var (fetch, id) = connection.Frame(new FetchRequest
        {
            MaxWaitMs = (int)wait.TotalMilliseconds,
            MinBytes = 1,
            Topics = [new FetchRequest.FetchTopic { Topic = topic, Partitions = [new FetchRequest.FetchPartition { Partition = 0, PartitionMaxBytes = 1 << 20 }] }],
        }, 11);
        var watch = Stopwatch.StartNew();
        await connection.SendAsync(Ct, fetch);

        var response = await connection.ReceiveAsync<FetchResponse>(id, 11, Ct);
        Assert.Equal(0, response.Responses.Single().Partitions.Single().ErrorCode);
        Assert.True(watch.Elapsed >= wait * 0.9, $"The fetch came back after {watch.Elapsed.TotalMilliseconds:0} ms, before its MaxWaitMs.");
    }

    private Task WaitForNoConnectionsAsync() =>
        BrokerFixture.WaitUntilAsync(() => fixture.Broker.ConnectionCount == 0, Timeout, "earlier tests' connections to close");

    private async Task AssertServesRealClientsAsync()
    {
        var topic = BrokerFixture.NewTopic();
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "served" }, Ct);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    private static Task<bool> IsClosedByBrokerAsync(NetworkStream stream) => IsClosedByBrokerAsync(stream.Socket);

    private static async Task<bool> IsClosedByBrokerAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Timeout);
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset by the broker
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>A broker that allows few connections per client address.</summary>
public sealed class PerIpLimitFixture : BrokerFixture
{
    public const int Limit = 6;

    protected override BrokerOptions Configure(BrokerOptions options) => options with { MaxConnectionsPerIp = Limit };
}

/// <summary>
/// Kafka's <c>max.connections.per.ip</c>: one address cannot take more than its share. On one machine every client is
/// 127.0.0.1, so the limit is tested by count: the connection over it is refused, and a freed slot serves a real client.
/// </summary>
public sealed class ConnectionsPerIpTests(PerIpLimitFixture fixture) : IClassFixture<PerIpLimitFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectionsOverTheLimit_RefusedAtOnce_AFreedSlotServesARealClient()
    {
        await BrokerFixture.WaitUntilAsync(() => fixture.Broker.ConnectionCount == 0, TimeSpan.FromSeconds(30), "earlier connections to close");
        var open = new List<RawKafkaConnection>();
        try
        {
            for (var i = 0; i < PerIpLimitFixture.Limit; i++)
            {
                var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
                open.Add(connection);
                await AssertAnswersAsync(connection);
            }

            using (var extra = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct))
            {
                var (frame, _) = extra.Frame(new ApiVersionsRequest(), 0);
                try
                {
                    await extra.SendAsync(Ct, frame);
                }
                catch (IOException)
                {
                    // Already closed by the broker.
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                int read;
                try
                {
                    read = await extra.Socket.ReceiveAsync(new byte[64], timeout.Token);
                }
                catch (SocketException)
                {
                    read = 0;
                }

                Assert.Equal(0, read);
            }

            Assert.Equal(PerIpLimitFixture.Limit, fixture.Broker.ConnectionCount);
            foreach (var connection in open)
            {
                await AssertAnswersAsync(connection); // the ones within the limit are untouched
            }

            // librdkafka opens a bootstrap connection and then one to the broker it learns: two slots.
            open[0].Dispose();
            open[1].Dispose();
            open.RemoveRange(0, 2);
            await BrokerFixture.WaitUntilAsync(() => fixture.Broker.ConnectionCount == PerIpLimitFixture.Limit - 2, TimeSpan.FromSeconds(15), "the freed slots");
            using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
            var result = await producer.ProduceAsync(BrokerFixture.NewTopic(), new Message<Null, string> { Value = "fits" }, Ct);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
    }

    private static async Task AssertAnswersAsync(RawKafkaConnection connection)
    {
        var (frame, id) = connection.Frame(new ApiVersionsRequest(), 0);
        await connection.SendAsync(Ct, frame);
        Assert.Equal(0, (await connection.ReceiveAsync<ApiVersionsResponse>(id, 0, Ct)).ErrorCode);
    }
}
