using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>Connections end cleanly however the client goes away, so they never pile up against MaxConnections.</summary>
public sealed class ConnectionLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task PipelinedRequestsThenReset_BrokerNotReading_ConnectionIsReleased()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-lifecycle-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = "127.0.0.1:0" }, TestContext.Current.CancellationToken);
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(broker.ListenEndPoint, TestContext.Current.CancellationToken);
                client.ReceiveBufferSize = 4096;
                var stream = client.GetStream();

                // Far more requests than the broker keeps in flight, and never a read: the broker's writes back up and
                // its request queue fills, the state in which a broken write once left the connection hanging.
                var request = ApiVersionsV0();
                var burst = new byte[request.Length * 5000];
                for (var i = 0; i < 5000; i++)
                {
                    request.CopyTo(burst, i * request.Length);
                }

                using var sendTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await stream.WriteAsync(burst, sendTimeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // The broker stopped reading because its queue is full: that is the state under test.
                }

                await FixtureWait(() => broker.ConnectionCount == 1, "the connection to be open");

                // Reset rather than a clean close, as a killed client would.
                client.Client.LingerState = new LingerOption(true, 0);
            }

            await FixtureWait(() => broker.ConnectionCount == 0, "the broker to release the reset connection");
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    private static Task FixtureWait(Func<bool> condition, string what) => BrokerFixture.WaitUntilAsync(condition, Timeout, what);

    private static byte[] ApiVersionsV0()
    {
        var clientId = Encoding.UTF8.GetBytes("flood");
        var length = 2 + 2 + 4 + 2 + clientId.Length;
        var bytes = new byte[4 + length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(4), 18);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(6), 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(12), (short)clientId.Length);
        clientId.CopyTo(bytes, 14);
        return bytes;
    }
}
