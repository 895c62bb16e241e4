namespace ReactiveKafka.Protocol;

/// <summary>
/// What Kafka's message specifications say about one API's versions: the valid range and the first
/// version with the flexible encoding. (What a broker advertises is a separate, narrower choice.)
/// </summary>
/// <param name="ApiKey">The API.</param>
/// <param name="LowestVersion">The lowest version the specification defines.</param>
/// <param name="HighestVersion">The highest version the specification defines.</param>
/// <param name="FirstFlexibleVersion">The first flexible version, or -1 if the API is never flexible.</param>
public readonly record struct ApiMessageVersions(ApiKey ApiKey, short LowestVersion, short HighestVersion, short FirstFlexibleVersion)
{
    /// <summary>Whether <paramref name="version"/> is one the specification defines.</summary>
    /// <param name="version">An API version.</param>
    public bool Contains(short version) => version >= LowestVersion && version <= HighestVersion;

    /// <summary>Whether <paramref name="version"/> uses the flexible (compact, tagged) encoding.</summary>
    /// <param name="version">An API version.</param>
    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;
}
