namespace ReactiveKafka.Hosting.Pipeline;

/// <summary>
/// The receiver's lag, sampled once a second over a window: <see cref="Growing"/> when every sample in a full window
/// was above the one before. Thread-safe (one writer, readers take the lock briefly).
/// </summary>
internal sealed class LagHistory(TimeSpan window)
{
    private readonly Lock _lock = new();
    private readonly Queue<long> _samples = new();
    private readonly int _capacity = (int)Math.Ceiling(window.TotalSeconds) + 1;

    public bool Enabled => window > TimeSpan.Zero;

    /// <summary>Adds a sample; a negative one (lag unknown, pipeline not running) starts the window over.</summary>
    public void Add(long lag)
    {
        lock (_lock)
        {
            if (lag < 0)
            {
                _samples.Clear();
                return;
            }

            _samples.Enqueue(lag);
            while (_samples.Count > _capacity)
            {
                _samples.Dequeue();
            }
        }
    }

    public bool Growing
    {
        get
        {
            lock (_lock)
            {
                if (!Enabled || _samples.Count < _capacity || _capacity < 2)
                {
                    return false;
                }

                long? previous = null;
                foreach (var sample in _samples)
                {
                    if (previous is { } p && sample <= p)
                    {
                        return false;
                    }

                    previous = sample;
                }

                return true;
            }
        }
    }
}
