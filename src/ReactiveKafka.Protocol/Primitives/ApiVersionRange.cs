namespace ReactiveKafka.Protocol;

/// <summary>The versions of one API that a peer supports, inclusive at both ends.</summary>
/// <param name="ApiKey">The API.</param>
/// <param name="MinVersion">The lowest version.</param>
/// <param name="MaxVersion">The highest version.</param>
public readonly record struct ApiVersionRange(ApiKey ApiKey, short MinVersion, short MaxVersion)
{
    /// <summary>Whether <paramref name="version"/> lies in the range.</summary>
    public bool Contains(short version) => version >= MinVersion && version <= MaxVersion;
}
