using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>Serves one API key: decodes the body, does the work, returns the response body.</summary>
internal interface IRequestHandler
{
    /// <summary>The API served.</summary>
    ApiKey ApiKey { get; }

    /// <summary>The versions served, declared by the handler itself: the one place an API's range is written.</summary>
    ServedVersions Versions { get; }

    /// <summary>Whether request <paramref name="version"/> uses header v2 (flexible).</summary>
    bool IsFlexibleRequest(short version);

    /// <summary>Whether response <paramref name="version"/> uses header v1 (flexible).</summary>
    bool IsFlexibleResponse(short version);

    /// <summary>
    /// Whether later requests of the same connection that overlap too may be processed while this request's asynchronous
    /// part still runs (a request that does not overlap waits for it regardless). False for almost every API: as in
    /// Kafka, a connection's next request waits until this one is done, so it sees everything this one changed. A
    /// handler may answer true only when its whole state change is applied in its synchronous part and the asynchronous
    /// part merely waits (a produce's durability wait, a fetch's long poll).
    /// </summary>
    bool OverlapsLaterRequests { get; }

    /// <summary>
    /// Decodes <paramref name="body"/> at the context's version and serves it. Returns null when no
    /// response is sent (acks=0 produce). Throws <see cref="ProtocolException"/> when the body is
    /// malformed, which closes the connection.
    /// </summary>
    ValueTask<IKafkaMessage?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body);
}
