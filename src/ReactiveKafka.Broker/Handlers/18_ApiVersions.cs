using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// ApiVersions (key 18): the ranges every handler declares (see <see cref="HandlerRegistry.Advertised"/>).
/// A request for a version the broker does not know is answered at version 0 with UNSUPPORTED_VERSION
/// and the ranges, so the client can retry with a version both sides speak (KIP-511).
/// </summary>
/// <remarks>
/// Every range reaches down to the old non-flexible versions: kafkajs 2.x and kafka-python 2.x speak only those
/// (e.g. Produce ≤ 7, Fetch ≤ 11, Metadata ≤ 6, ApiVersions ≤ 2).
/// </remarks>
internal sealed class ApiVersionsHandler(BrokerContext broker) : RequestHandler<ApiVersionsRequest, ApiVersionsResponse>(minVersion: 0, maxVersion: 4)
{
    // Built on first use: the registry is complete once the broker has started, before any request arrives.
    private readonly Lazy<List<ApiVersionsResponse.ApiVersion>> _advertised = new(() => broker.Handlers.Advertised
        .Select(r => new ApiVersionsResponse.ApiVersion { ApiKey = (short)r.ApiKey, MinVersion = r.MinVersion, MaxVersion = r.MaxVersion })
        .ToList());

    /// <inheritdoc />
    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request) =>
        new(new ApiVersionsResponse
        {
            ErrorCode = (short)(context.UnsupportedVersionRequested ? ErrorCode.UnsupportedVersion : ErrorCode.None),
            ApiKeys = _advertised.Value,
        });
}
