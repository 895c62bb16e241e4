namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The store's lookups that a request must not pay for with a walk over every topic: the name-order listing that
/// Metadata answers from, topics by id, and the '.'/'_' collision forms that CreateTopics checks. Every change of a
/// topic goes through <see cref="Publish"/> or <see cref="Unpublish"/> (under the admin lock, or at open), which keep
/// them in step with the topic map.
/// </summary>
internal sealed partial class TopicStore
{
    // Collision form → topic name; written under the admin lock only (and at open), read under it.
    private readonly Dictionary<string, string> _collisionForms = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _namesById = new();

    // The name-order listing, built on the first ListTopics after a change and reused until the next one: a client's
    // periodic Metadata of all topics costs one pass over the topics, not a sort. Tagged with the change count it was
    // built from, so a listing built concurrently with a change is never kept as current.
    private Listing? _listing;
    private long _changes;

    private sealed record Listing(long Changes, TopicInfo[] Topics);

    /// <summary>All topics, in name order.</summary>
    public IReadOnlyList<TopicInfo> ListTopics()
    {
        var changes = Volatile.Read(ref _changes);
        if (Volatile.Read(ref _listing) is { } current && current.Changes == changes)
        {
            return current.Topics;
        }

        // The topic map is changed before the count is bumped: a listing read after seeing count N holds every
        // change up to N (and maybe a later one, whose bump then makes it stale).
        TopicInfo[] topics = [.. _topics.Values.Select(t => t.Info)];
        Array.Sort(topics, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Volatile.Write(ref _listing, new Listing(changes, topics));
        return topics;
    }

    /// <summary>A topic by id, or null.</summary>
    public TopicInfo? GetTopic(Guid topicId) =>
        _namesById.TryGetValue(topicId, out var name) ? GetTopic(name) : null;

    /// <summary>The existing topic whose name collides with <paramref name="name"/> ('.' and '_' equated), or null.</summary>
    private string? CollidingTopic(string name) =>
        _collisionForms.TryGetValue(TopicNames.CollisionForm(name), out var existing) ? existing : null;

    /// <summary>Adds or replaces a topic's state.</summary>
    private void Publish(TopicState state)
    {
        var name = state.Info.Name;
        _topics[name] = state;
        _collisionForms[TopicNames.CollisionForm(name)] = name;
        _namesById[state.Info.TopicId] = name;
        Interlocked.Increment(ref _changes);
    }

    /// <summary>Removes a topic; false when there is none of that name.</summary>
    private bool Unpublish(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TopicState? state)
    {
        if (!_topics.TryRemove(name, out state))
        {
            return false;
        }

        _collisionForms.Remove(TopicNames.CollisionForm(name));
        _namesById.TryRemove(state.Info.TopicId, out _);
        Interlocked.Increment(ref _changes);
        return true;
    }
}
