using System.Collections.Concurrent;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The one thread that runs a transactional producer's transaction calls (init, begin, send offsets, commit, abort),
/// one at a time and in the order they were queued. librdkafka's transactional API blocks and must not be called
/// concurrently; running it here keeps callers (and the thread pool) free while it waits for the coordinator.
/// </summary>
/// <remarks>Thread-safe: any thread may queue; operations run only on the owned thread. Disposing drains what is queued.</remarks>
internal sealed class TransactionThread : IDisposable
{
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;

    public TransactionThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "ReactiveKafka transactions " + name };
        _thread.Start();
    }

    /// <summary>True on the owned thread.</summary>
    public bool IsCurrent => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Queues <paramref name="operation"/>; the task completes with its outcome once it has run.</summary>
    public Task<T> Run<T>(Func<T> operation)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (IsCurrent)
        {
            // Already on the owner (a hook of an operation): run in place, waiting for a queued one would deadlock.
            Complete(operation, completion);
            return completion.Task;
        }

        try
        {
            _queue.Add(() => Complete(operation, completion));
        }
        catch (InvalidOperationException)
        {
            completion.TrySetException(new ObjectDisposedException("KafkaSender", "The KafkaSender has been disposed: no transaction operation runs any more."));
        }

        return completion.Task;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!IsCurrent)
        {
            _thread.Join();
        }
    }

    private static void Complete<T>(Func<T> operation, TaskCompletionSource<T> completion)
    {
        try
        {
            completion.TrySetResult(operation());
        }
        catch (Exception error)
        {
            completion.TrySetException(error);
        }
    }

    private void Run()
    {
        foreach (var operation in _queue.GetConsumingEnumerable())
        {
            operation();
        }
    }
}
