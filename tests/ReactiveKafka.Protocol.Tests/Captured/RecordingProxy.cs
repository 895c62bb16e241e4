using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ReactiveKafka.Protocol.Tests.Captured;

/// <summary>
/// A tiny TCP proxy for tests: accepts client connections on 127.0.0.1, forwards each to an upstream
/// endpoint, and records every size-prefixed request frame the clients send (without the size prefix).
/// Responses are copied back untouched.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<byte[]> _frames = new();
    private readonly ConcurrentBag<TcpClient> _sockets = [];
    private readonly List<Task> _pumps = [];
    private Task? _acceptLoop;
    private IPEndPoint? _upstream;

    public RecordingProxy()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
    }

    /// <summary>The proxy's listening address; usable as an advertised listener before <see cref="Start"/>.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The recorded request frames, in the order they completed (per connection order is kept).</summary>
    public IReadOnlyList<byte[]> Frames => _frames.ToArray();

    /// <summary>Starts accepting clients and forwarding them to <paramref name="upstream"/>.</summary>
    public void Start(IPEndPoint upstream)
    {
        _upstream = upstream;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            var upstream = new TcpClient { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(_upstream!, _stop.Token);
            }
            catch (Exception)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            _sockets.Add(client);
            _sockets.Add(upstream);
            lock (_pumps)
            {
                _pumps.Add(Task.Run(() => PumpRequestsAsync(client.GetStream(), upstream.GetStream(), client, upstream)));
                _pumps.Add(Task.Run(() => PumpRawAsync(upstream.GetStream(), client.GetStream(), client, upstream)));
            }
        }
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream to, TcpClient a, TcpClient b)
    {
        var sizeBuffer = new byte[4];
        try
        {
            while (true)
            {
                await from.ReadExactlyAsync(sizeBuffer, _stop.Token);
                var size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
                if (size < 0 || size > 256 * 1024 * 1024)
                {
                    break;
                }

                var frame = new byte[size];
                await from.ReadExactlyAsync(frame, _stop.Token);
                _frames.Enqueue(frame);
                await to.WriteAsync(sizeBuffer, _stop.Token);
                await to.WriteAsync(frame, _stop.Token);
            }
        }
        catch (Exception)
        {
            // Connection closed or proxy stopped.
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    private async Task PumpRawAsync(NetworkStream from, NetworkStream to, TcpClient a, TcpClient b)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception)
        {
            // Connection closed or proxy stopped.
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
        }

        try
        {
            await Task.WhenAll([.. pumps, _acceptLoop ?? Task.CompletedTask]).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Best effort.
        }

        _stop.Dispose();
    }
}
