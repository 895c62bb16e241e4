using System.Reflection;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// The handlers by API key, found in this assembly: every non-abstract <see cref="IRequestHandler"/> is one API,
/// constructed with the <see cref="BrokerContext"/> (or without arguments) and served at the versions it declares
/// (<see cref="IRequestHandler.Versions"/>). Adding an API is adding its handler file; ApiVersions answers from these
/// same declarations, so a range is written once. Two handlers of one key fail at start.
/// </summary>
internal sealed class HandlerRegistry
{
    private readonly IRequestHandler?[] _byKey = new IRequestHandler?[128];

    /// <summary>The advertised ranges, by API key (what ApiVersions answers).</summary>
    public IReadOnlyList<ServedVersions> Advertised { get; private set; } = [];

    /// <summary>Finds and registers every handler of this assembly.</summary>
    public void RegisterAll(BrokerContext context)
    {
        var handlerTypes = typeof(HandlerRegistry).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IRequestHandler).IsAssignableFrom(t));
        foreach (var type in handlerTypes)
        {
            Register(Create(type, context));
        }
    }

    /// <summary>Registers <paramref name="handler"/>; served at its declared range, advertised if it says so.</summary>
    public void Register(IRequestHandler handler)
    {
        var key = (int)handler.ApiKey;
        if ((uint)key >= _byKey.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(handler), $"API key {key} is beyond the registry's table.");
        }

        if (_byKey[key] is { } existing)
        {
            throw new InvalidOperationException($"{handler.ApiKey} has two handlers: {existing.GetType().Name} and {handler.GetType().Name}.");
        }

        _byKey[key] = handler;
        Advertised = [.. _byKey.OfType<IRequestHandler>().Select(h => h.Versions).Where(v => v.IsAdvertised).OrderBy(v => v.ApiKey)];
    }

    /// <summary>The handler of a raw API key, or null when none is registered.</summary>
    public IRequestHandler? Find(short apiKey) => (uint)apiKey < _byKey.Length ? _byKey[apiKey] : null;

    /// <summary>Whether <paramref name="version"/> of <paramref name="apiKey"/> is accepted.</summary>
    public bool IsServed(ApiKey apiKey, short version) =>
        (uint)apiKey < _byKey.Length && _byKey[(int)apiKey] is { } handler && handler.Versions.Contains(version);

    private static IRequestHandler Create(Type type, BrokerContext context)
    {
        var withContext = type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(BrokerContext)]);
        var instance = withContext is not null ? withContext.Invoke([context])
            : type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes)?.Invoke(null);
        return instance as IRequestHandler
            ?? throw new InvalidOperationException($"{type.Name} needs a constructor taking the BrokerContext, or none.");
    }
}
