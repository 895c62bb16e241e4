namespace ReactiveKafka.ErrorHandling.Internal;

/// <summary>
/// The keys that have a record in the retry topics (for <see cref="RetryTopicOptions{TKey, TValue}.PreserveKeyOrder"/>),
/// each with the later records of the key waiting for it, in arrival order. A key is held from the moment its record
/// is sent to a retry topic until the last waiting record is done. Thread-safe.
/// </summary>
internal sealed class KeyHolds
{
    private readonly Dictionary<string, Queue<Func<Task>>> _held = new(StringComparer.Ordinal);

    /// <summary>The number of keys held now.</summary>
    public int Count
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="work"/> behind the key's record in retry; false (nothing queued) when the key is not held.</summary>
    public bool TryEnqueue(string key, Func<Task> work)
    {
        lock (_held)
        {
            if (!_held.TryGetValue(key, out var waiting))
            {
                return false;
            }

            waiting.Enqueue(work);
            return true;
        }
    }

    /// <summary>Holds the key (idempotent): called before its record is written to a retry topic.</summary>
    public void Hold(string key)
    {
        lock (_held)
        {
            _held.TryAdd(key, new Queue<Func<Task>>());
        }
    }

    /// <summary>
    /// The key's record in retry is done: returns the next waiting record's work (the key stays held while it runs),
    /// or null, releasing the key, when none waits (or the key was not held: a retry read after a restart).
    /// </summary>
    public Func<Task>? Release(string key)
    {
        lock (_held)
        {
            if (!_held.TryGetValue(key, out var waiting))
            {
                return null;
            }

            if (waiting.TryDequeue(out var next))
            {
                return next;
            }

            _held.Remove(key);
            return null;
        }
    }
}
