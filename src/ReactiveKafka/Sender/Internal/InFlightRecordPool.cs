namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The in-flight records of one send stream, made on demand up to the most the stream ever had in flight (at most its
/// <c>MaxInFlight</c>) and used again record after record, each with its delivery delegate bound once.
/// </summary>
/// <remarks>
/// Threads: only the stream's source side rents (one record at a time, as the Rx grammar and the sequential pump
/// guarantee), so the renter's own free list needs no synchronization; any thread returns (the poll thread, mostly)
/// by pushing onto a shared stack, which the renter takes whole with one exchange when its own list runs out. No
/// compare-and-swap pops, so no ABA problem. The close reads every slot (<see cref="FailOnClose"/>).
/// </remarks>
internal sealed class InFlightRecordPool<TKey, TValue, TCorrelation>(ProducerCore<TKey, TValue> core)
{
    private readonly Lock _lock = new();
    private readonly List<InFlightRecord<TKey, TValue, TCorrelation>> _all = [];
    private InFlightRecord<TKey, TValue, TCorrelation>? _free;
    private InFlightRecord<TKey, TValue, TCorrelation>? _returned;

    /// <summary>Slots made so far (diagnostics, tests).</summary>
    public int Created
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>A slot started for <paramref name="record"/> (source side only).</summary>
    public InFlightRecord<TKey, TValue, TCorrelation> Rent(SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink)
    {
        var entry = _free ?? Interlocked.Exchange(ref _returned, null);
        if (entry is null)
        {
            entry = new InFlightRecord<TKey, TValue, TCorrelation>(core, this);
            lock (_lock)
            {
                _all.Add(entry);
            }
        }
        else
        {
            _free = entry.NextFree;
            entry.NextFree = null;
        }

        entry.Start(record, sink);
        return entry;
    }

    /// <summary>Gives a completed slot back (any thread).</summary>
    public void Return(InFlightRecord<TKey, TValue, TCorrelation> entry)
    {
        var head = Volatile.Read(ref _returned);
        while (true)
        {
            entry.NextFree = head;
            var seen = Interlocked.CompareExchange(ref _returned, entry, head);
            if (seen == head)
            {
                return;
            }

            head = seen;
        }
    }

    /// <summary>Records handed out and still waiting for their result (the close's count).</summary>
    public int Waiting()
    {
        var waiting = 0;
        foreach (var entry in Snapshot())
        {
            waiting += entry.IsWaiting ? 1 : 0;
        }

        return waiting;
    }

    /// <summary>Fails every record still waiting for its result (the sender's close, after its flush).</summary>
    public void FailOnClose(TimeSpan closeTimeout)
    {
        foreach (var entry in Snapshot())
        {
            entry.FailOnClose(closeTimeout);
        }
    }

    private InFlightRecord<TKey, TValue, TCorrelation>[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _all];
        }
    }
}
