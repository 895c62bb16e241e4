using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// ApiVersions (key 18), versions 0–4: the ranges of <see cref="SupportedApiVersions.Advertised"/>.
/// A request for a version the broker does not know is answered at version 0 with UNSUPPORTED_VERSION
/// and the ranges, so the client can retry with a version both sides speak (KIP-511).
/// </summary>
internal sealed class ApiVersionsHandler : RequestHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    private readonly List<ApiVersionsResponse.ApiVersion> _advertised = SupportedApiVersions.Advertised
        .Select(r => new ApiVersionsResponse.ApiVersion { ApiKey = (short)r.ApiKey, MinVersion = r.MinVersion, MaxVersion = r.MaxVersion })
        .OrderBy(v => v.ApiKey)
        .ToList();

    /// <inheritdoc />
    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request) =>
        new(new ApiVersionsResponse
        {
            ErrorCode = (short)(context.UnsupportedVersionRequested ? ErrorCode.UnsupportedVersion : ErrorCode.None),
            ApiKeys = _advertised,
        });
}
