using System.Diagnostics;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

public sealed class DurabilityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(LogConfig config) =>
        PartitionLog.Open(_temp.Combine("t-0"), config, TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task Durable_HighWatermarkAdvancesOnlyAfterTheFsync()
    {
        await using var log = Open(LogConfig.Default);
        using var gate = new ManualResetEventSlim(false);
        using var fsyncStarted = new SemaphoreSlim(0);
        log.BeforeGroupCommitFsync = () =>
        {
            fsyncStarted.Release();
            gate.Wait(TimeSpan.FromSeconds(10));
        };
        var advanced = 0;
        log.HighWatermarkAdvanced += _ => Interlocked.Increment(ref advanced);

        var result = log.Append(TestBatches.Create(3), 0);
        Assert.True(await fsyncStarted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        var wait = log.WaitForDurableAsync(result.LastOffset + 1, TestContext.Current.CancellationToken).AsTask();
        Assert.Equal((3L, 0L), (log.LogEndOffset, log.HighWatermark));
        Assert.False(wait.IsCompleted);
        using (var read = log.Read(0, 1000, log.HighWatermark))
        {
            Assert.Equal(0, read.Length);
        }

        gate.Set();
        await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(3, log.HighWatermark);
        Assert.Equal(3, log.DurableOffset);

        // The event is raised on the flusher after it has released the waiters, so it may trail the await a little.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref advanced) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, Volatile.Read(ref advanced));
    }

    [Fact]
    public async Task Durable_ThreadPoolStarvedByTheApplication_FsyncStillRunsAtOnce()
    {
        await using var log = Open(LogConfig.Default);
        log.Append(TestBatches.Create(1), 0);
        await log.WaitForDurableAsync(1, TestContext.Current.CancellationToken);

        // An application blocking every pool thread (synchronous waits), with more such work queued behind them.
        using var gate = new ManualResetEventSlim(false);
        var blockers = ThreadPool.ThreadCount + (4 * Environment.ProcessorCount);
        var unfinished = blockers;
        for (var i = 0; i < blockers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                gate.Wait(TimeSpan.FromSeconds(3));
                Interlocked.Decrement(ref unfinished);
            }, null);
        }

        TimeSpan took;
        try
        {
            var starved = Stopwatch.StartNew();
            while (ThreadPool.PendingWorkItemCount == 0 && starved.Elapsed < TimeSpan.FromSeconds(1))
            {
                Thread.Sleep(1);
            }

            Assert.True(ThreadPool.PendingWorkItemCount > 0, "The pool should have work waiting for a thread.");

            // Watched from this thread, without awaiting: continuations would need the starved pool.
            var watch = Stopwatch.StartNew();
            log.Append(TestBatches.Create(1), 0);
            while (log.DurableOffset < 2 && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(1);
            }

            took = watch.Elapsed;
        }
        finally
        {
            gate.Set();

            // Blockers still queued run after the test body: the gate must outlive them (disposed, it throws on their thread).
            SpinWait.SpinUntil(() => Volatile.Read(ref unfinished) == 0, TimeSpan.FromSeconds(30));
        }

        Assert.Equal(0, Volatile.Read(ref unfinished));
        Assert.Equal(2, log.DurableOffset);
        Assert.True(took < TimeSpan.FromSeconds(1), $"The fsync round waited {took.TotalMilliseconds:0} ms for the pool.");
    }

    [Fact]
    public async Task Durable_ConcurrentAppendersShareFsyncsAndGetDistinctOffsets()
    {
        await using var log = Open(LogConfig.Default);
        const int Threads = 8;
        const int AppendsPerThread = 100;
        var ranges = new ConcurrentBag<(long First, long Last)>();
        var tasks = Enumerable.Range(0, Threads).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < AppendsPerThread; i++)
            {
                var result = log.Append(TestBatches.Create(2), 0);
                Assert.Equal(ErrorCode.None, result.Error);
                await log.WaitForDurableAsync(result.LastOffset + 1, TestContext.Current.CancellationToken);
                Assert.True(log.HighWatermark > result.LastOffset);
                ranges.Add((result.BaseOffset, result.LastOffset));
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var sorted = ranges.OrderBy(r => r.First).ToList();
        Assert.Equal(Threads * AppendsPerThread, sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
        {
            Assert.Equal((i * 2L, (i * 2L) + 1), sorted[i]);
        }

        Assert.Equal(Threads * AppendsPerThread * 2, log.HighWatermark);
        Assert.InRange(log.FlushCount, 1, (Threads * AppendsPerThread) - 1);
    }

    [Fact]
    public async Task NonDurable_WaitCompletesAtOnceAndHighWatermarkIsTheLogEnd()
    {
        await using var log = Open(LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem });
        var result = log.Append(TestBatches.Create(2), 0);
        Assert.True(log.WaitForDurableAsync(result.LastOffset + 1, TestContext.Current.CancellationToken).IsCompletedSuccessfully);
        Assert.Equal(2, log.HighWatermark);
    }

    [Fact]
    public async Task Interval_FlushesOnTheTimer()
    {
        var time = new FakeTimeProvider();
        await using var log = PartitionLog.Open(_temp.Combine("t-1"), LogConfig.Default with { FlushPolicy = FlushPolicy.Interval, FlushIntervalMs = 1000 }, time, NullLogger.Instance);
        log.Append(TestBatches.Create(2), 0);
        Assert.Equal(0, log.DurableOffset);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(2, log.DurableOffset);
    }

    [Fact]
    public async Task Read_ConcurrentWithRetentionAndAppends_NeverThrows()
    {
        var batch = TestBatches.Create(2, valueSize: 50);
        await using var log = Open(LogConfig.Default with
        {
            FlushPolicy = FlushPolicy.OperatingSystem,
            SegmentBytes = batch.Length * 2,
            RetentionBytes = batch.Length * 4,
        });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var writer = Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(ErrorCode.None, log.Append(batch, 0).Error);
            }
        });
        var cleaner = Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                log.ApplyRetention(0);
            }
        });
        var reads = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var offset = log.LogStartOffset;
                using var read = log.Read(offset, 10_000, log.HighWatermark);
                Assert.True(read.Error is ErrorCode.None or ErrorCode.OffsetOutOfRange);
                if (read.Length > 0)
                {
                    TestBatches.Parse(read.Records.Span);
                    Interlocked.Increment(ref reads);
                }
            }
        })).ToArray();
        await Task.WhenAll([writer, cleaner, .. readers]);
        Assert.True(reads > 0);
        Assert.True(log.LogStartOffset > 0, $"{log} after {reads} reads");
    }

    // Dedicated threads: busy loops on a 2-core pool would starve each other of workers.
    private static Task Run(Action loop) =>
        Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
