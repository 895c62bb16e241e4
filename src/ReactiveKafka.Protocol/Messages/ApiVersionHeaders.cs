namespace ReactiveKafka.Protocol.Messages;

/// <summary>
/// Which <see cref="RequestHeader"/> and <see cref="ResponseHeader"/> versions go with an API version.
/// Kafka derives them from the body's flexibility, with two historical exceptions: ControlledShutdown
/// v0 used request header v0 (no client id), and ApiVersions responses always use header v0 so a
/// client that does not yet know the broker's versions can read the reply.
/// </summary>
public static class ApiVersionHeaders
{
    /// <summary>The request header version for <paramref name="apiKey"/> at <paramref name="apiVersion"/>.</summary>
    /// <param name="apiKey">The request's API.</param>
    /// <param name="apiVersion">The request's API version.</param>
    /// <returns>0, 1 or 2.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The API key is not one Kafka defines.</exception>
    public static short RequestHeaderVersion(ApiKey apiKey, short apiVersion)
    {
        if (apiKey == ApiKey.ControlledShutdown && apiVersion == 0)
        {
            return 0;
        }

        return IsFlexible(apiKey, apiVersion) ? (short)2 : (short)1;
    }

    /// <summary>The response header version for <paramref name="apiKey"/> at <paramref name="apiVersion"/>.</summary>
    /// <param name="apiKey">The request's API.</param>
    /// <param name="apiVersion">The request's API version.</param>
    /// <returns>0 or 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The API key is not one Kafka defines.</exception>
    public static short ResponseHeaderVersion(ApiKey apiKey, short apiVersion)
    {
        if (apiKey == ApiKey.ApiVersions)
        {
            return 0;
        }

        return IsFlexible(apiKey, apiVersion) ? (short)1 : (short)0;
    }

    // Flexibility of versions above the highest one known is extrapolated: Kafka never makes a
    // flexible API inflexible again, and a broker must still parse the header to answer
    // UNSUPPORTED_VERSION for an API version it does not serve.
    private static bool IsFlexible(ApiKey apiKey, short apiVersion) =>
        ApiMessages.TryGetKnown(apiKey, out var range)
            ? range.IsFlexible(apiVersion)
            : throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, "Not an API key Kafka defines.");
}
