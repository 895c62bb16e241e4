namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// The acknowledged-offset tracker of one partition: the offsets of the records handed to the subscriber, in the order
/// polled (strictly increasing, not necessarily contiguous: compaction and transaction markers leave gaps), each
/// acknowledged or not. The committable offset advances only over the leading run of acknowledged records, so
/// out-of-order acknowledgements never move a commit past an unprocessed record.
/// </summary>
/// <remarks>
/// A ring buffer of offsets with one acknowledged flag each; acknowledging the oldest record is O(1) (plus the run it
/// releases), any other O(log n) (binary search). Not thread-safe: owned by the consumer loop thread.
/// </remarks>
internal sealed class OffsetTracker
{
    private long[] _offsets;
    private bool[] _acknowledged;
    private int _head;
    private int _count;

    public OffsetTracker(int initialCapacity = 16)
    {
        var capacity = Math.Max(4, initialCapacity);
        _offsets = new long[capacity];
        _acknowledged = new bool[capacity];
    }

    /// <summary>Records tracked and not yet released (unacknowledged plus deferred).</summary>
    public int Count => _count;

    /// <summary>Acknowledged records held behind an unacknowledged one.</summary>
    public int Deferred { get; private set; }

    /// <summary>Tracked records not yet acknowledged.</summary>
    public int Unacknowledged => _count - Deferred;

    /// <summary>The next offset to commit (the last released offset + 1), or -1 while nothing was released.</summary>
    public long Committable { get; private set; } = -1;

    /// <summary>The offset of the last tracked record, or -1 when none was ever tracked.</summary>
    public long LastAdded { get; private set; } = -1;

    /// <summary>Tracks a record handed to the subscriber.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is not above the last tracked one.</exception>
    public void Add(long offset)
    {
        if (offset <= LastAdded || offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offsets are tracked in increasing order; the last was {LastAdded}.");
        }

        if (_count == _offsets.Length)
        {
            Grow();
        }

        var tail = (_head + _count) % _offsets.Length;
        _offsets[tail] = offset;
        _acknowledged[tail] = false;
        _count++;
        LastAdded = offset;
    }

    /// <summary>Acknowledges a tracked record; releases the leading run of acknowledged records.</summary>
    /// <returns>True when the record was tracked and not yet acknowledged.</returns>
    public bool Acknowledge(long offset)
    {
        if (_count == 0)
        {
            return false;
        }

        if (_offsets[_head] == offset)
        {
            if (_acknowledged[_head])
            {
                return false;
            }

            _acknowledged[_head] = true;
            Deferred++;
            Release();
            return true;
        }

        var index = Find(offset);
        if (index < 0 || _acknowledged[index])
        {
            return false;
        }

        _acknowledged[index] = true;
        Deferred++;
        return true;
    }

    /// <summary>Forgets every tracked record (revocation, or a seek back).</summary>
    public void Clear()
    {
        _head = 0;
        _count = 0;
        Deferred = 0;
    }

    private void Release()
    {
        while (_count > 0 && _acknowledged[_head])
        {
            Committable = _offsets[_head] + 1;
            _head = (_head + 1) % _offsets.Length;
            _count--;
            Deferred--;
        }

        if (_count == 0)
        {
            _head = 0;
        }
    }

    private int Find(long offset)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var index = (_head + middle) % _offsets.Length;
            var value = _offsets[index];
            if (value == offset)
            {
                return index;
            }

            if (value < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void Grow()
    {
        var offsets = new long[_offsets.Length * 2];
        var acknowledged = new bool[offsets.Length];
        for (var i = 0; i < _count; i++)
        {
            var index = (_head + i) % _offsets.Length;
            offsets[i] = _offsets[index];
            acknowledged[i] = _acknowledged[index];
        }

        _offsets = offsets;
        _acknowledged = acknowledged;
        _head = 0;
    }
}
