namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The records of one sender that were handed to the producer and have no delivery report yet, so that closing the
/// sender can fail those that were not acknowledged within the close timeout. An intrusive doubly linked list under
/// a lock: add and remove are O(1) and allocate nothing. Thread-safe.
/// </summary>
internal sealed class InFlightRegistry
{
    private readonly Lock _lock = new();
    private InFlightEntry? _head;

    public int Count { get; private set; }

    public void Add(InFlightEntry entry)
    {
        lock (_lock)
        {
            entry.Next = _head;
            if (_head is not null)
            {
                _head.Previous = entry;
            }

            _head = entry;
            entry.Registered = true;
            Count++;
        }
    }

    public void Remove(InFlightEntry entry)
    {
        lock (_lock)
        {
            if (!entry.Registered)
            {
                return;
            }

            if (entry.Previous is not null)
            {
                entry.Previous.Next = entry.Next;
            }
            else
            {
                _head = entry.Next;
            }

            if (entry.Next is not null)
            {
                entry.Next.Previous = entry.Previous;
            }

            entry.Previous = entry.Next = null;
            entry.Registered = false;
            Count--;
        }
    }

    public List<InFlightEntry> Snapshot()
    {
        lock (_lock)
        {
            var entries = new List<InFlightEntry>(Count);
            for (var entry = _head; entry is not null; entry = entry.Next)
            {
                entries.Add(entry);
            }

            return entries;
        }
    }
}
