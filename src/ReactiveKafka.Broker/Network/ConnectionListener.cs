using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// Accepts TCP connections and runs a <see cref="ClientConnection"/> for each, up to the configured
/// maximum (connections beyond it are closed at once). Can be paused, which stops accepting and
/// closes the listening socket so that new connections are refused, and resumed on the same port.
/// </summary>
internal sealed class ConnectionListener : IAsyncDisposable
{
    private readonly BrokerContext _broker;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _connectionTasks = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private Socket? _socket;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextId;

    public ConnectionListener(BrokerContext broker, IPEndPoint endpoint)
    {
        _broker = broker;
        _logger = broker.LoggerFactory.CreateLogger("ReactiveKafka.Broker.Listener");
        Bind(endpoint);
        BoundEndPoint = (IPEndPoint)_socket!.LocalEndPoint!;
    }

    /// <summary>The address actually bound (with the chosen port when port 0 was asked).</summary>
    public IPEndPoint BoundEndPoint { get; private set; }

    /// <summary>The number of open client connections.</summary>
    public int ConnectionCount => _connections.Count;

    private void Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(endpoint);
        socket.Listen(512);
        _socket = socket;
    }

    /// <summary>Starts accepting connections.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _acceptLoop = AcceptLoopAsync(_socket!);
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

            Bind(BoundEndPoint);
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
                if (_connections.Count >= _broker.Options.MaxConnections)
                {
                    _logger.LogWarning("Refusing a connection from {Remote}: MaxConnections ({Max}) reached", client.RemoteEndPoint, _broker.Options.MaxConnections);
                    client.Dispose();
                    continue;
                }

                client.NoDelay = true;
                var id = Interlocked.Increment(ref _nextId);
                var connection = new ClientConnection(client, _broker, id, _stopping.Token);
                _connections[id] = connection;
                _connectionTasks[id] = RunConnectionAsync(connection);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The peer went away between accept and set-up.
                _logger.LogDebug("Dropping a connection that closed during set-up: {Reason}", ex.Message);
                client.Dispose();
            }
        }
    }

    private async Task RunConnectionAsync(ClientConnection connection)
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
        }
    }

    /// <summary>Stops accepting, closes every connection and waits for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await PauseAsync().ConfigureAwait(false);
        CloseConnections();
        await Task.WhenAll(_connectionTasks.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
