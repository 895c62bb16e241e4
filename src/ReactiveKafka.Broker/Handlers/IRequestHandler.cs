using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>Serves one API key: decodes the body, does the work, returns the response body.</summary>
internal interface IRequestHandler
{
    /// <summary>The API served.</summary>
    ApiKey ApiKey { get; }

    /// <summary>Whether request <paramref name="version"/> uses header v2 (flexible).</summary>
    bool IsFlexibleRequest(short version);

    /// <summary>Whether response <paramref name="version"/> uses header v1 (flexible).</summary>
    bool IsFlexibleResponse(short version);

    /// <summary>
    /// Decodes <paramref name="body"/> at the context's version and serves it. Returns null when no
    /// response is sent (acks=0 produce). Throws <see cref="ProtocolException"/> when the body is
    /// malformed, which closes the connection.
    /// </summary>
    ValueTask<IKafkaMessage?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body);
}
