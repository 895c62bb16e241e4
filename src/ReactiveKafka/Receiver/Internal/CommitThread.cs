namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// The thread a consumer loop makes its regular commits on, one at a time, so that the loop goes on polling (fetches,
/// heartbeats, emission, the close request) while a commit waits for the group coordinator.
/// </summary>
/// <remarks>
/// Why a thread: Confluent's <c>Commit</c> is librdkafka's synchronous commit, which has no timeout of its own and holds
/// its caller for the whole round trip; with the coordinator unreachable that is up to <c>socket.timeout.ms</c> (60 s)
/// per attempt, and a loop that made it stopped every partition of the member that long. librdkafka's commit is
/// thread-safe. The loop starts a commit only while none runs (<see cref="IsIdle"/>), and waits for the one running
/// before any commit of its own and before the consumer is closed: a commit must never run on a disposed handle, and
/// commits reach the coordinator in the order the loop decided them.
/// </remarks>
internal sealed class CommitThread : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _start = new(initialState: false);
    private readonly ManualResetEventSlim _idle = new(initialState: true);
    private Action? _job;
    private volatile bool _stopping;

    public CommitThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether no commit runs.</summary>
    public bool IsIdle => _idle.IsSet;

    /// <summary>Runs <paramref name="job"/> on the thread. Only while <see cref="IsIdle"/> (the loop thread).</summary>
    public void Start(Action job)
    {
        _idle.Reset();
        Volatile.Write(ref _job, job);
        _start.Set();
    }

    /// <summary>Waits until the commit that runs, if any, has returned.</summary>
    public void WaitIdle() => _idle.Wait();

    /// <summary>Waits for the commit that runs, then ends the thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _start.Set();
        if (_thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        while (true)
        {
            _start.Wait();
            _start.Reset();
            if (Interlocked.Exchange(ref _job, null) is { } job)
            {
                try
                {
                    job();
                }
                finally
                {
                    _idle.Set();
                }
            }

            if (_stopping)
            {
                return;
            }
        }
    }
}
