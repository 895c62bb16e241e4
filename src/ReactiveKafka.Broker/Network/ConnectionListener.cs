using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// Accepts TCP connections and runs a <see cref="ClientConnection"/> for each, up to the configured
/// maximum in all and per client address (connections beyond either are closed at once, as Kafka's acceptor does).
/// Closes connections idle for longer than <see cref="BrokerOptions.ConnectionsMaxIdle"/> and those whose request
/// stays partly received for longer than <see cref="BrokerOptions.PartialRequestTimeout"/>. Can be paused, which
/// stops accepting and closes the listening socket so that new connections are refused, and resumed on the same port.
/// </summary>
internal sealed class ConnectionListener : IAsyncDisposable
{
    private readonly BrokerContext _broker;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _connectionTasks = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly ConnectionQuotas _quotas;
    private ITimer? _expiryTimer;
    private Socket? _socket;
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>
    /// Serves <paramref name="socket"/>, already bound and listening (see <see cref="ListenSocket"/>), as
    /// <paramref name="endpoint"/>; takes it over. The connection limits are shared by every listener through
    /// <paramref name="quotas"/>.
    /// </summary>
    public ConnectionListener(BrokerContext broker, ListenerEndpoint endpoint, Socket socket, ConnectionQuotas quotas)
    {
        _broker = broker;
        _logger = broker.LoggerFactory.CreateLogger("ReactiveKafka.Broker.Listener");
        _quotas = quotas;
        _socket = socket;
        Endpoint = endpoint;
        endpoint.BoundEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The listener's name, protocol and addresses.</summary>
    public ListenerEndpoint Endpoint { get; }

    /// <summary>The address actually bound (with the chosen port when port 0 was asked).</summary>
    public IPEndPoint BoundEndPoint => Endpoint.BoundEndPoint;

    /// <summary>The number of open client connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Starts accepting connections, and the check for idle and stalled ones.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _acceptLoop = AcceptLoopAsync(_socket!);
            if (ConnectionExpiry.CheckInterval(_broker.Options) is { } interval)
            {
                _expiryTimer = _broker.Options.TimeProvider.CreateTimer(
                    static state => ((ConnectionListener)state!).CloseExpired(), this, interval, interval);
            }
        }
    }

    /// <summary>Stops accepting: the port is closed and new connections are refused. Open connections stay.</summary>
    public async Task PauseAsync()
    {
        Task loop;
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
            loop = _acceptLoop;
        }

        await loop.ConfigureAwait(false);
    }

    /// <summary>Accepts again on the same address and port.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (_socket is not null)
            {
                return;
            }

            _socket = ListenSocket.Bind(BoundEndPoint);
            _acceptLoop = AcceptLoopAsync(_socket!);
        }
    }

    /// <summary>Closes every open client connection (they may reconnect).</summary>
    public int CloseConnections()
    {
        var count = 0;
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
            count++;
        }

        return count;
    }

    private async Task AcceptLoopAsync(Socket listening)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listening.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_stopping.IsCancellationRequested || !ReferenceEquals(Volatile.Read(ref _socket), listening))
                {
                    return; // stopped or paused: the socket was closed on purpose
                }

                // A transient failure (out of file descriptors, a connection aborted before it was accepted): keep serving.
                _logger.LogWarning("Accepting a connection failed ({Error}); retrying", ex.SocketErrorCode);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            try
            {
                if (_broker.ConnectionCount >= _broker.Options.MaxConnections)
                {
                    _logger.LogWarning("Refusing a connection from {Remote}: MaxConnections ({Max}) reached", client.RemoteEndPoint, _broker.Options.MaxConnections);
                    client.Dispose();
                    continue;
                }

                var address = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
                if (!_quotas.TryAdd(address, out var perIpLimit))
                {
                    // Kafka's words: "Rejected connection from /127.0.0.1, address already has the configured maximum of N connections."
                    _logger.LogWarning("Rejected connection from {Address}: it already has the configured maximum of {Max} connections (MaxConnectionsPerIp)", address, perIpLimit);
                    client.Dispose();
                    continue;
                }

                ClientConnection connection;
                try
                {
                    client.NoDelay = true;
                    connection = new ClientConnection(client, _broker, Endpoint, _broker.NextConnectionId(), _stopping.Token);
                }
                catch
                {
                    _quotas.Remove(address);
                    throw;
                }

                _connections[connection.Id] = connection;
                _connectionTasks[connection.Id] = RunConnectionAsync(connection, address);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The peer went away between accept and set-up.
                _logger.LogDebug("Dropping a connection that closed during set-up: {Reason}", ex.Message);
                client.Dispose();
            }
        }
    }

    private async Task RunConnectionAsync(ClientConnection connection, IPAddress address)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection {Id} failed", connection.Id);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            _connectionTasks.TryRemove(connection.Id, out _);
            _quotas.Remove(address);
        }
    }

    // Runs on the timer: one pass over the connections, closing those idle or stalled beyond their limit.
    private void CloseExpired()
    {
        try
        {
            var now = _broker.Options.TimeProvider.GetTimestamp();
            foreach (var connection in _connections.Values)
            {
                if (connection.ExpiredBecause(now) is { } reason)
                {
                    _logger.LogInformation("Closing connection {Id} from {Host}: {Reason}", connection.Id, connection.ClientHost, reason);
                    connection.Abort();
                }
            }
        }
        catch (Exception ex)
        {
            // A timer callback must not throw; the next pass tries again.
            _logger.LogWarning(ex, "Checking connections for expiry failed");
        }
    }

    /// <summary>Stops accepting, closes every connection and waits for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_expiryTimer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Cancel();
        await PauseAsync().ConfigureAwait(false);
        CloseConnections();
        await Task.WhenAll(_connectionTasks.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
