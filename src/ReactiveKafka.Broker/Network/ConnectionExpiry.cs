namespace ReactiveKafka.Broker.Network;

/// <summary>
/// When a connection has outlived its welcome: idle (nothing read or written, nothing in flight) for longer than
/// <see cref="BrokerOptions.ConnectionsMaxIdle"/>, or holding a partly received request for longer than
/// <see cref="BrokerOptions.PartialRequestTimeout"/>. One instance per connection; the connection's loops record
/// what happens, the listener's timer asks. Thread-safe (single fields read and written atomically).
/// </summary>
internal sealed class ConnectionExpiry
{
    private const long None = long.MinValue;
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaximumInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly TimeSpan? _maxIdle;
    private readonly TimeSpan? _partialTimeout;
    private long _lastActivity;
    private long _partialSince = None;
    private int _inFlight;

    public ConnectionExpiry(BrokerOptions options)
    {
        _time = options.TimeProvider;
        _maxIdle = options.ConnectionsMaxIdle;
        _partialTimeout = options.PartialRequestTimeout;
        _lastActivity = _time.GetTimestamp();
    }

    /// <summary>How often the listener checks, or null when neither limit is set: a quarter of the shorter limit, 10 ms to 1 s.</summary>
    public static TimeSpan? CheckInterval(BrokerOptions options)
    {
        var shortest = (options.ConnectionsMaxIdle, options.PartialRequestTimeout) switch
        {
            ({ } idle, { } partial) => idle < partial ? idle : partial,
            ({ } idle, null) => idle,
            (null, { } partial) => partial,
            _ => (TimeSpan?)null,
        };
        return shortest is { } s ? TimeSpan.FromTicks(Math.Clamp(s.Ticks / 4, MinimumInterval.Ticks, MaximumInterval.Ticks)) : null;
    }

    /// <summary>Bytes were read or a response was written.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>A request was taken off the wire (it counts until its response is written or dropped).</summary>
    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    /// <summary>A request's response is ready (or dropped): the idle time counts from now.</summary>
    public void RequestEnded()
    {
        Touch();
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>
    /// After a read: whether the buffer ends in a request not yet whole. Its deadline runs from the read that brought
    /// its first bytes; <paramref name="tookFrames"/> says this read completed earlier requests, so the partial one
    /// started with it.
    /// </summary>
    public void AfterRead(bool partial, bool tookFrames)
    {
        if (!partial)
        {
            Volatile.Write(ref _partialSince, None);
        }
        else if (tookFrames || Volatile.Read(ref _partialSince) == None)
        {
            Volatile.Write(ref _partialSince, _time.GetTimestamp());
        }
    }

    /// <summary>While whole requests are processed the next one is not being received: its deadline is off.</summary>
    public void Processing() => Volatile.Write(ref _partialSince, None);

    /// <summary>Why the connection should be closed at <paramref name="now"/> (a timestamp of the options' clock), or null.</summary>
    public string? ExpiredBecause(long now)
    {
        var partialSince = Volatile.Read(ref _partialSince);
        if (_partialTimeout is { } timeout && partialSince != None && _time.GetElapsedTime(partialSince, now) > timeout)
        {
            return $"a request stayed partly received for more than PartialRequestTimeout ({timeout.TotalMilliseconds:0} ms)";
        }

        if (_maxIdle is { } idle && Volatile.Read(ref _inFlight) == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastActivity), now) > idle)
        {
            return $"idle for more than connections.max.idle.ms ({idle.TotalMilliseconds:0} ms)";
        }

        return null;
    }
}
