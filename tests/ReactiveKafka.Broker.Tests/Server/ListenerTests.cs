using System.Net.Sockets;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// One broker per address: a second broker on a port in use fails at start, as Kafka does ("Address already in use"),
/// instead of sharing the port (SO_REUSEPORT) and splitting clients between two clusters at random.
/// </summary>
public sealed class ListenerTests : IDisposable
{
    private readonly List<string> _directories = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    [Fact]
    public async Task StartAsync_PortOfARunningBroker_FailsWithAddressInUseAndTheFirstKeepsServing()
    {
        await using var first = await KafkaBroker.StartAsync(Options(NewDirectory(), "127.0.0.1:0"), Ct);
        var address = $"127.0.0.1:{first.ListenEndPoint.Port}";

        var error = await Assert.ThrowsAsync<BrokerStartException>(() => KafkaBroker.StartAsync(Options(NewDirectory(), address), Ct));

        Assert.Contains(address, error.Message);
        Assert.Contains("address is already in use", error.Message);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        await AssertServesAsync(first.BootstrapServers);
    }

    [Fact]
    public async Task StartAsync_DataDirectoryOfARunningBroker_FailsNamingItBeforeReadingIt()
    {
        var directory = NewDirectory();
        await using var first = await KafkaBroker.StartAsync(Options(directory, "127.0.0.1:0"), Ct);

        var error = await Assert.ThrowsAsync<BrokerStartException>(() => KafkaBroker.StartAsync(Options(directory, "127.0.0.1:0"), Ct));

        Assert.Contains(Path.GetFullPath(directory), error.Message);
        Assert.Contains("another broker", error.Message);
        await AssertServesAsync(first.BootstrapServers);
    }

    [Fact]
    public async Task Restart_SamePortWhileConnectionsTheBrokerClosedAreInTimeWait_Binds()
    {
        // The broker closing a connection first leaves it in TIME_WAIT on the broker's port. Kafka's listener sets
        // SO_REUSEADDR (alone) and binds again regardless; a listener without it would fail the restart for a minute.
        var directory = NewDirectory();
        int port;
        await using (var broker = await KafkaBroker.StartAsync(Options(directory, "127.0.0.1:0"), Ct))
        {
            port = broker.ListenEndPoint.Port;
            using var connection = await RawKafkaConnection.ConnectAsync(broker.ListenEndPoint, Ct);
            await AssertAnswersAsync(connection);
            Assert.Equal(1, broker.Faults.CloseConnections());
            Assert.Equal(0, await connection.Socket.ReceiveAsync(new byte[16], Ct)); // the broker's FIN came first
        }

        await using var restarted = await KafkaBroker.StartAsync(Options(directory, $"127.0.0.1:{port}"), Ct);
        Assert.Equal(port, restarted.ListenEndPoint.Port);
        await AssertServesAsync(restarted.BootstrapServers);
    }

    [Fact]
    public async Task ResumeListener_WhileConnectionsOfTheClosedListenerStayOpen_BindsTheSamePort()
    {
        await using var broker = await KafkaBroker.StartAsync(Options(NewDirectory(), "127.0.0.1:0"), Ct);
        using var open = await RawKafkaConnection.ConnectAsync(broker.ListenEndPoint, Ct);
        await AssertAnswersAsync(open);

        await broker.Faults.PauseListenerAsync();
        broker.Faults.ResumeListener();

        await AssertAnswersAsync(open);
        using var fresh = await RawKafkaConnection.ConnectAsync(broker.ListenEndPoint, Ct);
        await AssertAnswersAsync(fresh);
    }

    [Fact]
    public async Task Server_PortOfARunningBroker_PrintsOneLineNamingTheAddressAndExitsNonZero()
    {
        await using var first = await KafkaBroker.StartAsync(Options(NewDirectory(), "127.0.0.1:0"), Ct);
        var address = $"127.0.0.1:{first.ListenEndPoint.Port}";

        var (exitCode, output) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "--data-dir", NewDirectory(), "--listen", address);

        Assert.NotEqual(0, exitCode);
        var errorLine = Assert.Single(output.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(address, errorLine);
        Assert.Contains("address is already in use", errorLine);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    private static async Task AssertAnswersAsync(RawKafkaConnection connection)
    {
        var (frame, id) = connection.Frame(new ReactiveKafka.Protocol.Messages.ApiVersionsRequest(), 0);
        await connection.SendAsync(Ct, frame);
        var response = await connection.ReceiveAsync<ReactiveKafka.Protocol.Messages.ApiVersionsResponse>(id, 0, Ct);
        Assert.Equal(0, response.ErrorCode);
    }

    private static BrokerOptions Options(string directory, string listener) => new() { DataDirectory = directory, Listener = listener };

    private static async Task AssertServesAsync(string bootstrap)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap, MessageTimeoutMs = 20_000 }).Build();
        var result = await producer.ProduceAsync(BrokerFixture.NewTopic(), new Message<Null, string> { Value = "here" }, Ct);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    private string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-listener-" + Guid.NewGuid().ToString("N")[..8]);
        _directories.Add(directory);
        return directory;
    }
}
