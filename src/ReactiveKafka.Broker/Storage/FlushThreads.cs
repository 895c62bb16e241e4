using System.Collections.Concurrent;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The dedicated threads that run every partition log's fsync rounds (group commit, interval and roll flushes),
/// shared by all brokers of the process. Thread-safe.
/// </summary>
/// <remarks>
/// An embedded broker lives in its application's process, and applications (tests above all) block thread-pool
/// threads: synchronous consume loops, <c>ProduceAsync(...).Result</c>. A flusher on the pool then waited for the pool
/// to grow (about a second per thread) before it could make an acknowledged write durable and visible; on these
/// threads an fsync starts as soon as it is asked for. fsyncs block in the kernel, so there are several threads (one
/// log is flushed by one of them at a time, see <see cref="PartitionLog"/>), created on first use, idle otherwise.
/// </remarks>
internal static class FlushThreads
{
    /// <summary>How many fsync rounds of different logs may run at once.</summary>
    public const int Count = 8;

    private static readonly BlockingCollection<PartitionLog> Queue = Start();

    /// <summary>Whether some log waits for a flush thread.</summary>
    public static bool HasQueued => Queue.Count > 0;

    /// <summary>Queues one fsync round of <paramref name="log"/> (the log makes sure it is queued at most once).</summary>
    public static void Enqueue(PartitionLog log) => Queue.Add(log);

    private static BlockingCollection<PartitionLog> Start()
    {
        var queue = new BlockingCollection<PartitionLog>(new ConcurrentQueue<PartitionLog>());
        for (var i = 0; i < Count; i++)
        {
            new Thread(() => Run(queue)) { IsBackground = true, Name = $"ReactiveKafka flush {i}" }.Start();
        }

        return queue;
    }

    private static void Run(BlockingCollection<PartitionLog> queue)
    {
        foreach (var log in queue.GetConsumingEnumerable())
        {
            log.RunQueuedFlush();
        }
    }
}
