using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace ReactiveKafka.Scheduling;

/// <summary>
/// A drain loop on a long-running thread of an Rx scheduler (<see cref="ISchedulerLongRunning"/>: the default, thread
/// pool, task pool and new-thread schedulers have one), woken once per <see cref="Signal"/> burst.
/// </summary>
/// <remarks>
/// Why: an emitter that schedules one work item per hand-off wakes a thread-pool worker each time, and at a trickle
/// (a few records per hand-off) the worker's spinning before it sleeps again, and the second worker that each dequeued
/// item requests, cost several times the work itself (measured: thread-pool workers were most of the SDK's CPU at
/// 1 k and 10 k records/s). A thread of its own blocks without spinning. Emission still runs on the options'
/// scheduler, through its long-running facility, one item at a time and in order.
/// No lost wake-up: a poster queues its item and then sets the pending flag (interlocked); the loop clears the flag
/// (interlocked) before it drains, so an item queued before the clear is drained, and one queued after sets the
/// event again.
/// </remarks>
internal sealed class DrainThread
{
    private readonly ManualResetEventSlim _signal = new(initialState: false, spinCount: 1);
    private readonly Func<bool> _drain;
    private readonly SingleAssignmentDisposable _run = new();
    private int _pending;
    private volatile bool _stopped;

    private DrainThread(Func<bool> drain) => _drain = drain;

    /// <summary>
    /// Starts a loop calling <paramref name="drain"/> after each signal burst until it returns false or
    /// <see cref="Stop"/> is called; null when <paramref name="scheduler"/> has no long-running facility.
    /// </summary>
    public static DrainThread? TryStart(IScheduler scheduler, Func<bool> drain)
    {
        if (scheduler.AsLongRunning() is not { } longRunning)
        {
            return null;
        }

        var thread = new DrainThread(drain);
        thread._run.Disposable = longRunning.ScheduleLongRunning(thread, static (self, cancel) => self.Run(cancel));
        return thread;
    }

    /// <summary>Items were queued: wake the loop (cheap when it is already awake). Any thread; never blocks.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Set();
        }
    }

    /// <summary>Ends the loop after its current drain. Idempotent.</summary>
    public void Stop()
    {
        _stopped = true;
        _signal.Set();
        _run.Dispose();
    }

    private void Run(ICancelable cancel)
    {
        while (!_stopped && !cancel.IsDisposed)
        {
            _signal.Wait();
            _signal.Reset();
            Interlocked.Exchange(ref _pending, 0);
            if (_stopped || !_drain())
            {
                break;
            }
        }

        // The event is not disposed: a late poster may still set it.
    }
}
