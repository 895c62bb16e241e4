using System.Buffers.Binary;
using System.Net.Sockets;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// Plain TCP connections to a broker that each asked once for ApiVersions (v0) and got the answer, then stay idle:
/// what an idle client leaves on a broker, without a client library's threads in the measuring process.
/// </summary>
internal sealed class IdleConnections : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public int Count => _sockets.Count;

    /// <summary>Opens <paramref name="count"/> more connections to <paramref name="bootstrapServers"/> (host:port).</summary>
    public async Task OpenAsync(string bootstrapServers, int count, CancellationToken cancellationToken = default)
    {
        var colon = bootstrapServers.LastIndexOf(':');
        var (host, port) = (bootstrapServers[..colon], int.Parse(bootstrapServers[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _sockets.Add(socket);
            await socket.ConnectAsync(host, port, cancellationToken);
            await ApiVersionsAsync(socket, _sockets.Count, cancellationToken);
        }
    }

    private static async Task ApiVersionsAsync(Socket socket, int correlationId, CancellationToken cancellationToken)
    {
        // Request header v1: api_key 18, api_version 0, correlation_id, client_id; ApiVersions v0 has no body.
        var clientId = "idle"u8.ToArray();
        var frame = new byte[4 + 2 + 2 + 4 + 2 + clientId.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), 18);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), 0);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(12), (short)clientId.Length);
        clientId.CopyTo(frame, 14);
        await socket.SendAsync(frame, cancellationToken);

        var size = new byte[4];
        await ReadExactlyAsync(socket, size, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await ReadExactlyAsync(socket, body, cancellationToken);
        if (BinaryPrimitives.ReadInt32BigEndian(body) != correlationId || BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(4)) != 0)
        {
            throw new InvalidOperationException("ApiVersions v0 on an idle connection was not answered with its correlation id and no error.");
        }
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                throw new IOException("The broker closed an idle connection during its ApiVersions exchange.");
            }

            read += n;
        }
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }
}
