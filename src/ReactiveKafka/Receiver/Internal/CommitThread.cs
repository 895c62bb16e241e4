namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// The thread a consumer loop makes its regular commits on, one at a time, so that the loop goes on polling (fetches,
/// heartbeats, emission, the close request) while a commit waits for the group coordinator.
/// </summary>
/// <remarks>
/// Why a thread: Confluent's <c>Commit</c> is librdkafka's synchronous commit, which has no timeout of its own and holds
/// its caller for the whole round trip; with the coordinator unreachable that is up to <c>socket.timeout.ms</c> (60 s)
/// per attempt, and a loop that made it stopped every partition of the member that long. librdkafka's commit is
/// thread-safe. The loop starts a commit only once the previous one has told it that it is done, and waits for the one
/// running before any commit of its own and before the consumer is closed (<see cref="Dispose"/> joins the thread): a
/// commit must never run on a disposed handle, and commits reach the coordinator in the order the loop decided them.
/// </remarks>
internal sealed class CommitThread : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _start = new(initialState: false);
    private Action? _job;
    private volatile bool _stopping;

    public CommitThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="job"/> on the thread (the loop thread, once the previous job has signalled its end: the
    /// thread takes it after finishing that one). The job must not throw.
    /// </summary>
    public void Start(Action job)
    {
        Volatile.Write(ref _job, job);
        _start.Set();
    }

    /// <summary>Waits for the job that runs, then ends the thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _start.Set();
        _thread.Join();
    }

    private void Run()
    {
        while (true)
        {
            _start.Wait();
            _start.Reset();
            Interlocked.Exchange(ref _job, null)?.Invoke();

            if (_stopping)
            {
                return;
            }
        }
    }
}
