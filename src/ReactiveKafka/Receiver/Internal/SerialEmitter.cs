using System.Collections.Concurrent;
using System.Reactive.Concurrency;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Hands items to a callback on an <see cref="IScheduler"/>, one at a time and in order (as <c>ObserveOn</c> does):
/// the producer side enqueues and never waits; a drain is scheduled when the emitter goes from idle to busy.
/// Items posted before <see cref="Activate"/> wait (an inner sequence not yet subscribed to).
/// </summary>
/// <remarks>Thread-safe: any thread may post; the callback never runs concurrently with itself.</remarks>
internal sealed class SerialEmitter<T>(IScheduler scheduler, Action<T> emit, bool active = true)
{
    private readonly ConcurrentQueue<T> _queue = new();
    private int _draining;
    private volatile bool _active = active;
    private volatile bool _stopped;

    public void Post(T item)
    {
        _queue.Enqueue(item);
        ScheduleDrain();
    }

    /// <summary>Starts emitting (items posted so far are emitted first).</summary>
    public void Activate()
    {
        _active = true;
        ScheduleDrain();
    }

    /// <summary>Stops emitting; queued items are dropped. Idempotent.</summary>
    public void Stop()
    {
        _stopped = true;
    }

    public bool IsStopped => _stopped;

    private void ScheduleDrain()
    {
        if (_active && !_stopped && Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            scheduler.Schedule(Drain);
        }
    }

    private void Drain()
    {
        while (true)
        {
            while (!_stopped && _queue.TryDequeue(out var item))
            {
                emit(item);
            }

            Volatile.Write(ref _draining, 0);
            if (_stopped || _queue.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
