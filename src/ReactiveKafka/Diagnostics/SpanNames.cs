using System.Collections.Concurrent;

namespace ReactiveKafka.Diagnostics;

/// <summary>Span names (<c>send {topic}</c>, <c>process {topic}</c>), built once per topic rather than per record.</summary>
internal static class SpanNames
{
    /// <summary>Topics are few; a process with unbounded topic names stops caching at this many.</summary>
    private const int MaxCached = 10_000;

    private static readonly ConcurrentDictionary<string, string> SendNames = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> ProcessNames = new(StringComparer.Ordinal);

    public static string Send(string topic) => Name(SendNames, "send ", topic);

    public static string Process(string topic) => Name(ProcessNames, "process ", topic);

    private static string Name(ConcurrentDictionary<string, string> cache, string operation, string topic)
    {
        if (cache.TryGetValue(topic, out var name))
        {
            return name;
        }

        name = operation + topic;
        if (cache.Count < MaxCached)
        {
            cache.TryAdd(topic, name);
        }

        return name;
    }
}
