using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>The versions of one API the broker serves, inclusive at both ends, and whether ApiVersions advertises them.</summary>
/// <param name="ApiKey">The API.</param>
/// <param name="MinVersion">The lowest version served.</param>
/// <param name="MaxVersion">The highest version served.</param>
/// <param name="IsAdvertised">Whether ApiVersions lists the API (false while it is decoded but not implemented).</param>
internal readonly record struct ServedVersions(ApiKey ApiKey, short MinVersion, short MaxVersion, bool IsAdvertised)
{
    /// <summary>Whether <paramref name="version"/> lies in the range.</summary>
    public bool Contains(short version) => version >= MinVersion && version <= MaxVersion;

    /// <summary>
    /// A handler's declaration, checked against what the generated codec can read: a range outside it is a broker bug,
    /// so it fails at start rather than on the first request of such a version.
    /// </summary>
    public static ServedVersions Create(ApiKey apiKey, short min, short max, bool advertised, short codecLowest, short codecHighest)
    {
        if (min > max || min < codecLowest || max > codecHighest)
        {
            throw new InvalidOperationException(
                $"{apiKey} declares versions {min}–{max}; its codec reads {codecLowest}–{codecHighest}.");
        }

        return new ServedVersions(apiKey, min, max, advertised);
    }
}
