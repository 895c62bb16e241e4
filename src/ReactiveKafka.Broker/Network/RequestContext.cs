using ReactiveKafka.Broker.Security;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Network;

/// <summary>What a handler knows about the request it serves, besides the decoded body.</summary>
/// <param name="ApiKey">The request's API.</param>
/// <param name="ApiVersion">The request's API version.</param>
/// <param name="CorrelationId">The client's correlation id, echoed in the response header.</param>
/// <param name="ClientId">The client id from the request header (may be null).</param>
/// <param name="ClientHost">The client's IP address as text.</param>
/// <param name="ConnectionId">A number identifying the connection, for logs.</param>
/// <param name="ConnectionClosed">Cancelled when the connection closes or the broker stops.</param>
internal sealed record RequestContext(
    ApiKey ApiKey,
    short ApiVersion,
    int CorrelationId,
    string? ClientId,
    string ClientHost,
    long ConnectionId,
    CancellationToken ConnectionClosed)
{
    /// <summary>
    /// Set when the client asked for an ApiVersions version the broker does not know: the request is
    /// then answered at version 0 with UNSUPPORTED_VERSION and the supported ranges.
    /// </summary>
    public bool UnsupportedVersionRequested { get; init; }

    /// <summary>The connection's listener and principal (and its SASL state).</summary>
    public required ConnectionSession Session { get; init; }

    /// <summary>The listener the request came in on.</summary>
    public ListenerEndpoint Listener => Session.Listener;

    /// <summary>The connection's principal, e.g. <c>User:alice</c> or <c>User:ANONYMOUS</c>.</summary>
    public string Principal => Session.Principal;

    /// <summary>Set by a handler whose response must be the connection's last (a failed login, as Kafka closes it then).</summary>
    public bool CloseAfterResponse { get; set; }

    /// <summary>Set for the answer to a raw SASL token (after a v0 handshake): written with its size only, no header.</summary>
    public bool RawSaslToken { get; init; }

    private List<IDisposable>? _afterResponse;

    /// <summary>
    /// Keeps <paramref name="resource"/> (e.g. a pooled buffer the response's records point into) alive
    /// until the response has been written, then disposes it.
    /// </summary>
    public void DisposeAfterResponse(IDisposable resource) => (_afterResponse ??= []).Add(resource);

    /// <summary>Disposes what <see cref="DisposeAfterResponse"/> kept.</summary>
    internal void ReleaseResponseResources()
    {
        if (_afterResponse is null)
        {
            return;
        }

        // Every resource is released even if one fails (the last release of a retained segment deletes its files).
        var resources = _afterResponse;
        _afterResponse = null;
        List<Exception>? failures = null;
        foreach (var resource in resources)
        {
            try
            {
                resource.Dispose();
            }
            catch (Exception e)
            {
                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("Releasing a response's resources failed.", failures);
        }
    }
}
