using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// The handlers by API key. Each API is registered once (a duplicate fails at start); the versions
/// served are those of <see cref="SupportedApiVersions"/>, so ApiVersions answers from the same table
/// that dispatch checks against.
/// </summary>
internal sealed class HandlerRegistry
{
    private readonly IRequestHandler?[] _byKey = new IRequestHandler?[128];
    private readonly ApiVersionRange?[] _served = new ApiVersionRange?[128];

    /// <summary>Registers <paramref name="handler"/>; served at the advertised range, or answered as not supported.</summary>
    public void Register(IRequestHandler handler)
    {
        var key = (int)handler.ApiKey;
        if ((uint)key >= _byKey.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(handler), $"API key {key} is beyond the registry's table.");
        }

        if (_byKey[key] is not null)
        {
            throw new InvalidOperationException($"A handler for {handler.ApiKey} is already registered.");
        }

        _byKey[key] = handler;
        _served[key] = SupportedApiVersions.Find(handler.ApiKey) ?? SupportedApiVersions.FindNotYetServed(handler.ApiKey)
            ?? throw new InvalidOperationException($"{handler.ApiKey} has no version range in SupportedApiVersions.");
    }

    /// <summary>The handler of a raw API key, or null when none is registered.</summary>
    public IRequestHandler? Find(short apiKey) => (uint)apiKey < _byKey.Length ? _byKey[apiKey] : null;

    /// <summary>Whether <paramref name="version"/> of <paramref name="apiKey"/> is accepted.</summary>
    public bool IsServed(ApiKey apiKey, short version) =>
        (uint)apiKey < _served.Length && _served[(int)apiKey] is { } range && range.Contains(version);
}
