using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using ReactiveKafka.Scheduling;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Hands items to a callback on an <see cref="IScheduler"/>, one at a time and in order (as <c>ObserveOn</c> does):
/// the producer side enqueues and never waits; a drain is scheduled when the emitter goes from idle to busy.
/// Items posted before <see cref="Activate"/> wait (an inner sequence not yet subscribed to).
/// </summary>
/// <remarks>
/// Thread-safe: any thread may post; the callback never runs concurrently with itself. With
/// <c>longRunning</c> and a scheduler that has a long-running facility, the drain runs on a thread of its own
/// (<see cref="DrainThread"/>) woken once per burst instead of a thread-pool work item per post.
/// </remarks>
internal sealed class SerialEmitter<T>
{
    private readonly ConcurrentQueue<T> _queue = new();
    private readonly IScheduler _scheduler;
    private readonly Action<T> _emit;
    private readonly DrainThread? _thread;
    private int _draining;
    private volatile bool _active;
    private volatile bool _stopped;

    public SerialEmitter(IScheduler scheduler, Action<T> emit, bool active = true, bool longRunning = false)
    {
        _scheduler = scheduler;
        _emit = emit;
        _active = active;
        if (longRunning)
        {
            _thread = DrainThread.TryStart(scheduler, () =>
            {
                if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
                {
                    Drain();
                }

                return !_stopped;
            });
        }
    }

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
        _thread?.Stop();
    }

    public bool IsStopped => _stopped;

    private void ScheduleDrain()
    {
        if (!_active || _stopped)
        {
            return;
        }

        if (_thread is not null)
        {
            _thread.Signal();
        }
        else if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            _scheduler.Schedule(Drain);
        }
    }

    private void Drain()
    {
        while (true)
        {
            while (!_stopped && _queue.TryDequeue(out var item))
            {
                _emit(item);
            }

            Volatile.Write(ref _draining, 0);
            if (_stopped || _queue.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
