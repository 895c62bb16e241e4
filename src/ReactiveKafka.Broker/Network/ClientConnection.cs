using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Security;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// One client connection: a read loop that frames requests and runs their handlers one after another in arrival
/// order, and a write loop that sends the responses in that same order (Kafka's per-connection ordering).
/// </summary>
/// <remarks>
/// <para>Ordering: as in Kafka (which mutes a connection until its request is answered), a request is processed only
/// after the earlier requests of its connection are done, so it sees everything they changed: the read loop does not
/// take the next frame while a handler is still running. The one exception is a handler that declares
/// <see cref="IRequestHandler.OverlapsLaterRequests"/>: its state change is made in its synchronous part, which runs in
/// order, and only its wait (a produce's fsync, a fetch's long poll) overlaps the overlapping requests after it (so
/// pipelined produces keep flowing). A request that does not overlap still waits for every earlier one, waits
/// included: a ListOffsets behind an acks=all produce sees the high watermark that produce's fsync moved. Responses are
/// always written in request order, whatever order their handlers finish in.</para>
/// <para>At most <see cref="MaxPipelinedRequests"/> requests are in flight per connection, which bounds memory: the
/// read loop stops reading until the writer catches up. A frame larger than the configured maximum, or one that
/// cannot be parsed, closes the connection.</para>
/// <para>Security: on a TLS listener the connection first completes a TLS handshake (its principal is the client
/// certificate's subject when one is presented); on a SASL listener the <see cref="ConnectionSession"/> admits only the
/// SASL exchange, with Kafka's 512 KiB frame limit, until the client has logged in.</para>
/// </remarks>
internal sealed class ClientConnection
{
    private const int MaxPipelinedRequests = 64;

    private readonly Socket _socket;
    private readonly BrokerContext _broker;
    private readonly long _id;
    private readonly string _clientHost;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed;
    private readonly ConnectionExpiry _expiry;
    private readonly ConnectionSession _session;
    private readonly List<Task> _overlapping = [];
    private readonly Channel<PendingResponse> _responses = Channel.CreateBounded<PendingResponse>(
        new BoundedChannelOptions(MaxPipelinedRequests) { SingleReader = true, SingleWriter = true });

    public ClientConnection(Socket socket, BrokerContext broker, ListenerEndpoint listener, long id, CancellationToken brokerStopping)
    {
        _socket = socket;
        _broker = broker;
        _id = id;
        _clientHost = (socket.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown";
        _logger = broker.LoggerFactory.CreateLogger("ReactiveKafka.Broker.Connection");
        _closed = CancellationTokenSource.CreateLinkedTokenSource(brokerStopping);
        _expiry = new ConnectionExpiry(broker.Options);
        _session = new ConnectionSession(listener, broker.Security, _clientHost, id);
    }

    /// <summary>The connection's number, for logs.</summary>
    public long Id => _id;

    /// <summary>The client's IP address as text, for logs.</summary>
    public string ClientHost => _clientHost;

    /// <summary>Why the connection should be closed now (idle or stalled too long), or null; see <see cref="ConnectionExpiry"/>.</summary>
    public string? ExpiredBecause(long now) => _expiry.ExpiredBecause(now);

    /// <summary>Closes the connection from the broker's side (fault injection, shutdown).</summary>
    public void Abort()
    {
        try
        {
            _closed.Cancel();
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // Already closed.
        }
    }

    /// <summary>Serves the connection until the client or the broker closes it. Never throws.</summary>
    public async Task RunAsync()
    {
        await using var network = new NetworkStream(_socket, ownsSocket: true);
        await using var tls = _session.Listener.Tls is { } serverTls ? await HandshakeAsync(network, serverTls).ConfigureAwait(false) : null;
        if (_session.Listener.Tls is not null && tls is null)
        {
            return;
        }

        Stream stream = tls is null ? network : tls;
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));

        // The write loop catches everything and closes the connection when it stops, which also wakes a read loop
        // blocked on a full response queue.
        var writeLoop = WriteLoopAsync(writer);
        try
        {
            await ReadLoopAsync(reader).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _logger.LogDebug("Connection {Id} from {Host} closed: {Reason}", _id, _clientHost, ex.Message);
        }
        catch (ProtocolException ex)
        {
            _logger.LogWarning("Closing connection {Id} from {Host}: malformed request: {Reason}", _id, _clientHost, ex.Message);
        }
        catch (SessionRefusedException ex)
        {
            _logger.LogWarning("Closing connection {Id} from {Host} (listener {Listener}): {Reason}", _id, _clientHost, _session.Listener.Name, ex.Message);
        }
        catch (SaslAuthenticationException)
        {
            // A raw-token login failed: logged by the session; Kafka closes the connection without an answer.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Closing connection {Id} from {Host}: the read loop failed", _id, _clientHost);
        }
        finally
        {
            _responses.Writer.TryComplete();
            await writeLoop.ConfigureAwait(false);
            _closed.Cancel();
            ReleaseUnwritten();
            await reader.CompleteAsync().ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
            _closed.Dispose();
        }
    }

    // Responses the write loop never reached (it stopped early): their handlers end on the connection's cancellation;
    // each frame goes back to the pool only once its handler is done with it.
    private void ReleaseUnwritten()
    {
        while (_responses.Reader.TryRead(out var pending))
        {
            ReleaseAfterFailure(pending);
        }
    }

    private async Task ReadLoopAsync(PipeReader reader)
    {
        var token = _closed.Token;
        while (true)
        {
            var result = await reader.ReadAsync(token).ConfigureAwait(false);
            _expiry.Touch();
            var buffer = result.Buffer;
            var tookFrames = false;
            while (TryTakeFrame(ref buffer, out var frame, out var frameLength))
            {
                if (!tookFrames)
                {
                    _expiry.Processing();
                    tookFrames = true;
                }

                await DispatchAsync(frame, frameLength, token).ConfigureAwait(false);
            }

            _expiry.AfterRead(partial: !buffer.IsEmpty, tookFrames);
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out byte[] frame, out int frameLength)
    {
        frame = [];
        frameLength = 0;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);

        // Check the declared size before allocating anything for it (CVE-2022-34917); before a SASL login completes
        // the limit is Kafka's sasl.server.max.receive.size (512 KiB).
        var limit = _session.MaxFrameSize(_broker.Options.MaxRequestSize);
        if (size > limit && limit < _broker.Options.MaxRequestSize && size >= RequestHeaderReader.MinimumSize)
        {
            throw new SessionRefusedException($"Failing SASL authentication due to invalid receive size: {size} bytes before authentication, more than {limit} (BrokerSaslOptions.MaxReceiveSize)");
        }

        if (size < RequestHeaderReader.MinimumSize || size > _broker.Options.MaxRequestSize)
        {
            throw new ProtocolException($"Request size {size} is outside 10..{_broker.Options.MaxRequestSize} bytes (MaxRequestSize).");
        }

        if (buffer.Length < 4L + size)
        {
            return false;
        }

        frame = ArrayPool<byte>.Shared.Rent(size);
        buffer.Slice(4, size).CopyTo(frame);
        frameLength = size;
        buffer = buffer.Slice(4 + size);
        return true;
    }

    private async ValueTask DispatchAsync(byte[] frame, int frameLength, CancellationToken token)
    {
        var handed = false;
        try
        {
            if (_session.ExpectsRawToken)
            {
                handed = true;
                await QueueRawTokenAnswerAsync(frame, frameLength, token).ConfigureAwait(false);
                return;
            }

            var reader = new ProtocolReader(frame.AsMemory(0, frameLength));
            var rawKey = reader.ReadInt16();
            var version = reader.ReadInt16();
            var correlationId = reader.ReadInt32();
            var handler = _broker.Handlers.Find(rawKey);
            if (handler is null)
            {
                throw new ProtocolException($"Unknown API key {rawKey} (version {version}, correlation id {correlationId}).");
            }

            var apiKey = (ApiKey)rawKey;
            if (_session.Refuse(apiKey) is { } refusal)
            {
                throw new SessionRefusedException(refusal);
            }

            var served = _broker.Handlers.IsServed(apiKey, version);
            if (!served && apiKey != ApiKey.ApiVersions)
            {
                // Kafka closes the connection for an unsupported version of anything but ApiVersions.
                throw new ProtocolException($"Unsupported version {version} of {apiKey} (correlation id {correlationId}).");
            }

            // An ApiVersions request of a version we do not know is answered in the v0 format (see
            // ApiVersionsHandler); its header is read as the newest header format.
            var flexibleHeader = served ? handler.IsFlexibleRequest(version) : version >= 3;
            RequestHeaderReader.ReadRest(ref reader, flexibleHeader, out var clientId);
            var context = new RequestContext(apiKey, version, correlationId, clientId, _clientHost, _id, token) { Session = _session };
            ReadOnlyMemory<byte> body = frame.AsMemory(reader.Position, frameLength - reader.Position);
            if (!served)
            {
                context = context with { ApiVersion = 0, UnsupportedVersionRequested = true };
                body = ReadOnlyMemory<byte>.Empty;
            }

            var serial = !handler.OverlapsLaterRequests;
            if (serial)
            {
                // What the overlapping requests before it are still waiting for (an fsync that moves the high watermark)
                // is part of what this one must see, as it would after Kafka answered them.
                await WaitForOverlappingAsync(token).ConfigureAwait(false);
            }

            var response = Invoke(handler, context, body);
            var waitForIt = false;
            if (!response.IsCompleted)
            {
                // Awaited twice (here, or by a later serial request, and by the write loop), so it must be backed by a task.
                response = response.Preserve();
                if (serial)
                {
                    waitForIt = true;
                }
                else
                {
                    TrackOverlapping(response.AsTask());
                }
            }

            var pending = new PendingResponse(context, handler, response, frame);
            handed = true;
            _expiry.RequestStarted();
            try
            {
                await _responses.Writer.WriteAsync(pending, token).ConfigureAwait(false);
            }
            catch
            {
                // Never queued (the connection closed while the queue was full): nobody else will release it.
                ReleaseAfterFailure(pending);
                throw;
            }

            if (waitForIt)
            {
                // Kafka's ordering: the next request of this connection is processed after this one. Its outcome is the
                // write loop's business; here it only matters that it is done.
                await ((Task)response.AsTask()).WaitAsync(token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                token.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (!handed)
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }
    }

    // TLS first: a client that does not complete the handshake in time, or presents a certificate the broker does not
    // trust, is closed here and never reaches the request loop.
    private async Task<SslStream?> HandshakeAsync(NetworkStream network, ServerTls tls)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: true);
        var rejection = new System.Runtime.CompilerServices.StrongBox<string?>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        timeout.CancelAfter(tls.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(tls.ServerOptions(rejection), timeout.Token).ConfigureAwait(false);
            if (ssl.RemoteCertificate is { } client)
            {
                using var certificate = X509CertificateLoader.LoadCertificate(client.GetRawCertData());
                _session.Principal = CertificatePrincipal.Of(certificate);
            }

            _logger.LogDebug("Connection {Id} from {Host}: TLS {Protocol} established on listener {Listener}, principal {Principal}",
                _id, _clientHost, ssl.SslProtocol, _session.Listener.Name, _session.Principal);
            return ssl;
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _logger.LogWarning("Closing connection {Id} from {Host} (listener {Listener}): the TLS handshake failed: {Reason}",
                _id, _clientHost, _session.Listener.Name, timeout.IsCancellationRequested && !_closed.IsCancellationRequested ? "it did not complete in time" : rejection.Value ?? ex.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    // After a v0 SaslHandshake the client sends bare SASL tokens, each answered with a bare size-prefixed token.
    private async ValueTask QueueRawTokenAnswerAsync(byte[] frame, int frameLength, CancellationToken token)
    {
        byte[] answer;
        try
        {
            answer = _session.AuthenticateRaw(frame.AsSpan(0, frameLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }

        var context = new RequestContext(ApiKey.SaslAuthenticate, 0, 0, null, _clientHost, _id, token) { Session = _session, RawSaslToken = true };
        var pending = new PendingResponse(context, _broker.Handlers.Find((short)ApiKey.SaslAuthenticate)!, new ValueTask<IKafkaMessage?>(new RawSaslTokenAnswer(answer)), ArrayPool<byte>.Shared.Rent(1));
        _expiry.RequestStarted();
        try
        {
            await _responses.Writer.WriteAsync(pending, token).ConfigureAwait(false);
        }
        catch
        {
            ReleaseAfterFailure(pending);
            throw;
        }
    }

    // Read loop only: the overlapping requests whose waits may still be running.
    private void TrackOverlapping(Task response)
    {
        if (_overlapping.Count >= 16)
        {
            _overlapping.RemoveAll(t => t.IsCompleted);
        }

        _overlapping.Add(response);
    }

    private async ValueTask WaitForOverlappingAsync(CancellationToken token)
    {
        if (_overlapping.Count == 0)
        {
            return;
        }

        _overlapping.RemoveAll(t => t.IsCompleted);
        if (_overlapping.Count > 0)
        {
            await Task.WhenAll(_overlapping).WaitAsync(token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            token.ThrowIfCancellationRequested();
            _overlapping.Clear();
        }
    }

    // A handler that throws synchronously (anything but a malformed body) fails its own response, which the write loop
    // logs before it closes the connection, rather than tearing the read loop down.
    private ValueTask<IKafkaMessage?> Invoke(IRequestHandler handler, RequestContext context, ReadOnlyMemory<byte> body)
    {
        try
        {
            var faults = _broker.Faults;
            return faults.IsActive ? faults.InterceptAsync(context, handler, body) : handler.HandleAsync(context, body);
        }
        catch (Exception ex) when (ex is not ProtocolException)
        {
            return ValueTask.FromException<IKafkaMessage?>(ex);
        }
    }

    private async Task WriteLoopAsync(PipeWriter writer)
    {
        try
        {
            await WriteResponsesAsync(writer).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug("Connection {Id} from {Host}: write loop ended: {Reason}", _id, _clientHost, ex.Message);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Closing connection {Id} from {Host}: writing a response failed", _id, _clientHost);
        }
        finally
        {
            // However the loop ended, the connection ends with it.
            Abort();
        }
    }

    private async Task WriteResponsesAsync(PipeWriter writer)
    {
        // Record batches of fetch responses are not copied into the scratch buffer: they are log regions, copied from
        // the file into the pipe in chunks (WriteWithExternalBytesAsync), so the scratch holds only the small parts.
        using var scratch = new ProtocolWriter(4096) { DeferExternalBytes = true };
        var responses = _responses.Reader;
        while (await responses.WaitToReadAsync().ConfigureAwait(false))
        {
            while (responses.TryRead(out var pending))
            {
                // Send what is ready before waiting on a slow response (a long poll, a rebalance, an fsync).
                if (!pending.Response.IsCompleted && writer.UnflushedBytes > 0)
                {
                    bool clientGone;
                    try
                    {
                        clientGone = (await writer.FlushAsync(_closed.Token).ConfigureAwait(false)).IsCompleted;
                    }
                    catch
                    {
                        // Taken off the queue already: release it here, or its log regions stay held.
                        ReleaseAfterFailure(pending);
                        throw;
                    }

                    if (clientGone)
                    {
                        ReleaseAfterFailure(pending);
                        return;
                    }
                }

                IKafkaMessage? body;
                try
                {
                    body = await pending.Response.ConfigureAwait(false);
                }
                catch (ProtocolException ex)
                {
                    _logger.LogWarning("Closing connection {Id} from {Host}: malformed {Api} v{Version} request: {Reason}",
                        _id, _clientHost, pending.Context.ApiKey, pending.Context.ApiVersion, ex.Message);
                    pending.Context.ReleaseResponseResources();
                    Abort();
                    return;
                }
                catch (OperationCanceledException) when (_closed.IsCancellationRequested)
                {
                    pending.Context.ReleaseResponseResources();
                    return;
                }
                catch (InjectedConnectionCloseException ex)
                {
                    _logger.LogInformation("Closing connection {Id} from {Host}: {Reason}", _id, _clientHost, ex.Message);
                    pending.Context.ReleaseResponseResources();
                    Abort();
                    return;
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Closing connection {Id}: {Api} v{Version} handler failed", _id, pending.Context.ApiKey, pending.Context.ApiVersion);
                    pending.Context.ReleaseResponseResources();
                    Abort();
                    return;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(pending.Frame);
                    _expiry.RequestEnded();
                }

                try
                {
                    if (body is null)
                    {
                        continue;
                    }

                    scratch.Reset();
                    if (pending.Context.RawSaslToken)
                    {
                        var raw = ((RawSaslTokenAnswer)body).Token;
                        scratch.WriteInt32(raw.Length);
                        scratch.WriteRaw(raw);
                    }
                    else
                    {
                        WriteResponse(scratch, pending, body);
                    }

                    if (scratch.ExternalSegments.Count == 0)
                    {
                        writer.Write(scratch.WrittenSpan);
                    }
                    else if (!await WriteWithExternalBytesAsync(writer, scratch).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                finally
                {
                    pending.Context.ReleaseResponseResources();
                }

                if (pending.Context.CloseAfterResponse)
                {
                    // A failed login: the answer goes out, then the connection closes (as Kafka closes it).
                    await writer.FlushAsync(_closed.Token).ConfigureAwait(false);
                    return;
                }
            }

            if ((await writer.FlushAsync(_closed.Token).ConfigureAwait(false)).IsCompleted)
            {
                return;
            }

            _expiry.Touch();
        }
    }

    private void ReleaseAfterFailure(PendingResponse pending) => _ = ReleaseWhenDoneAsync(pending);

    // A response that will not be written: once its handler is done, its resources and its request frame go back.
    private async Task ReleaseWhenDoneAsync(PendingResponse pending)
    {
        try
        {
            await pending.Response.ConfigureAwait(false);
        }
        catch
        {
            // The connection is closing; the response has nowhere to go.
        }
        finally
        {
            try
            {
                pending.Context.ReleaseResponseResources();
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Connection {Id}: releasing an unwritten {Api} response failed", _id, pending.Context.ApiKey);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(pending.Frame);
            }
        }
    }

    // The scratch's bytes with each deferred region written in its place; false when the client has gone.
    private async ValueTask<bool> WriteWithExternalBytesAsync(PipeWriter writer, ProtocolWriter scratch)
    {
        var written = 0;
        foreach (var segment in scratch.ExternalSegments)
        {
            writer.Write(scratch.WrittenSpan[written..segment.Position]);
            written = segment.Position;
            if (!await segment.Bytes.CopyToAsync(writer, _closed.Token).ConfigureAwait(false))
            {
                return false;
            }
        }

        writer.Write(scratch.WrittenSpan[written..]);
        return true;
    }

    private static void WriteResponse(ProtocolWriter scratch, PendingResponse pending, IKafkaMessage body)
    {
        var context = pending.Context;
        var sizeAt = scratch.ReserveAt(4);
        scratch.WriteInt32(context.CorrelationId);

        // The ApiVersions response header is always v0, even for flexible versions, so that a client can
        // read it before it knows which versions the broker speaks.
        var flexibleHeader = context.ApiKey != ApiKey.ApiVersions && pending.Handler.IsFlexibleResponse(context.ApiVersion);
        if (flexibleHeader)
        {
            scratch.WriteUnsignedVarint(0);
        }

        body.Write(scratch, context.ApiVersion);
        scratch.PatchInt32(sizeAt, checked((int)(scratch.Length + scratch.ExternalLength - 4)));
    }

    // The answer to a raw SASL token: its bytes, written by the write loop with a size and no header.
    private sealed class RawSaslTokenAnswer(byte[] token) : IKafkaMessage
    {
        public byte[] Token { get; } = token;

        public void Write(ProtocolWriter writer, short version) => writer.WriteRaw(Token);
    }

    private readonly record struct PendingResponse(
        RequestContext Context,
        IRequestHandler Handler,
        ValueTask<IKafkaMessage?> Response,
        byte[] Frame);
}
