using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// One TCP connection speaking Kafka frames built from the generated protocol types, for tests that need what no client
/// sends on purpose: several requests pipelined in one write on one socket, and their responses read back in order.
/// </summary>
internal sealed class RawKafkaConnection : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private int _nextCorrelationId;

    private RawKafkaConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public Socket Socket => _client.Client;

    public static async Task<RawKafkaConnection> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(endpoint, cancellationToken);
        return new RawKafkaConnection(client);
    }

    /// <summary>A whole request frame (size prefix, header v1 or v2 as the version needs, body).</summary>
    public (byte[] Frame, int CorrelationId) Frame<TRequest>(TRequest request, short version)
        where TRequest : IKafkaApiMessage<TRequest>
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        using var writer = new ProtocolWriter();
        var sizeAt = writer.ReserveAt(4);
        writer.WriteInt16((short)TRequest.ApiKey);
        writer.WriteInt16(version);
        writer.WriteInt32(correlationId);
        writer.WriteString("raw-test", compact: false); // the client id is never compact, even in header v2
        if (TRequest.IsFlexible(version))
        {
            writer.WriteUnsignedVarint(0);
        }

        request.Write(writer, version);
        writer.PatchInt32(sizeAt, writer.Length - 4);
        return (writer.ToArray(), correlationId);
    }

    /// <summary>Sends every frame in one write, so the broker reads them as one burst.</summary>
    public async Task SendAsync(CancellationToken cancellationToken, params byte[][] frames)
    {
        var all = frames.SelectMany(f => f).ToArray();
        await _stream.WriteAsync(all, cancellationToken);
    }

    /// <summary>Reads the next response and checks it answers <paramref name="correlationId"/>.</summary>
    public async Task<TResponse> ReceiveAsync<TResponse>(int correlationId, short version, CancellationToken cancellationToken)
        where TResponse : IKafkaApiMessage<TResponse>
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        var size = new byte[4];
        await _stream.ReadExactlyAsync(size, timeout.Token);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await _stream.ReadExactlyAsync(body, timeout.Token);
        var reader = new ProtocolReader(body);
        var answered = reader.ReadInt32();
        if (answered != correlationId)
        {
            throw new InvalidOperationException($"Expected the response to request {correlationId}, got the one to {answered}.");
        }

        // ApiVersions answers with header v0 even at flexible versions.
        if (TResponse.IsFlexible(version) && TResponse.ApiKey != ApiKey.ApiVersions)
        {
            reader.ReadUnknownTaggedFields();
        }

        return TResponse.Read(ref reader, version);
    }

    /// <summary>Sends bytes as they are (a bare SASL token after a v0 handshake, or a frame no client would send).</summary>
    public async Task SendRawAsync(byte[] bytes, CancellationToken cancellationToken) => await _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Reads one size-prefixed bare frame (a raw SASL token's answer).</summary>
    public async Task<byte[]> ReceiveRawAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        var size = new byte[4];
        await _stream.ReadExactlyAsync(size, timeout.Token);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await _stream.ReadExactlyAsync(body, timeout.Token);
        return body;
    }

    /// <summary>Whether the broker closes the connection (a read ends or fails) within <paramref name="within"/>; responses before the close are skipped.</summary>
    public async Task<bool> ClosedByBrokerAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await _stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
