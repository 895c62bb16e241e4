using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// The base of every handler: decodes the typed request and hands it to <see cref="HandleAsync(RequestContext, TRequest)"/>.
/// Kafka errors go into the response as error codes; exceptions are only for frames that cannot be parsed.
/// </summary>
/// <typeparam name="TRequest">The generated request type.</typeparam>
/// <typeparam name="TResponse">The generated response type.</typeparam>
/// <param name="minVersion">The lowest version served.</param>
/// <param name="maxVersion">The highest version served (at most what the generated codec reads).</param>
/// <param name="advertised">
/// False for an API whose codec exists but which is not implemented yet: it is not advertised in ApiVersions, and a
/// client that calls it anyway is answered by the handler (with UNSUPPORTED_VERSION in the body) instead of losing its
/// connection.
/// </param>
internal abstract class RequestHandler<TRequest, TResponse>(short minVersion, short maxVersion, bool advertised = true) : IRequestHandler
    where TRequest : IKafkaApiMessage<TRequest>
    where TResponse : class, IKafkaApiMessage<TResponse>
{
    /// <inheritdoc />
    public ApiKey ApiKey => TRequest.ApiKey;

    /// <inheritdoc />
    public ServedVersions Versions { get; } = ServedVersions.Create(TRequest.ApiKey, minVersion, maxVersion, advertised,
        TRequest.LowestSupportedVersion, TRequest.HighestSupportedVersion);

    /// <inheritdoc />
    public bool IsFlexibleRequest(short version) => TRequest.IsFlexible(version);

    /// <inheritdoc />
    public bool IsFlexibleResponse(short version) => TResponse.IsFlexible(version);

    /// <inheritdoc />
    public virtual bool OverlapsLaterRequests => false;

    /// <inheritdoc />
    public ValueTask<IKafkaMessage?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body)
    {
        var reader = new ProtocolReader(body);
        var request = TRequest.Read(ref reader, context.ApiVersion);
        var pending = HandleAsync(context, request);
        return pending.IsCompletedSuccessfully ? new ValueTask<IKafkaMessage?>(pending.Result) : Await(pending);

        static async ValueTask<IKafkaMessage?> Await(ValueTask<TResponse?> pending) => await pending.ConfigureAwait(false);
    }

    /// <summary>Serves a decoded request; null means no response is sent.</summary>
    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request);
}
