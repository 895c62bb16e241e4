using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Sender.SenderTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>The in-flight bound: a fast source waits, memory stays bounded, a full librdkafka queue is waited out.</summary>
public sealed class KafkaSenderBackpressureTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    [Fact]
    public async Task Send_MillionRecordSynchronousSource_PeakInFlightNeverExceedsMaxInFlight()
    {
        const int count = 1_000_000;
        const int maxInFlight = 512;
        var topic = await broker.CreateTopicAsync();
        var config = broker.ProducerConfig();
        config.Acks = Acks.Leader;
        await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(config) { MaxInFlight = maxInFlight });
        var payload = new byte[16];
        var emittedBySource = 0L;
        var maxAhead = 0L;
        var results = 0L;
        var failures = 0L;
        var done = new TaskCompletionSource();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        var peakWorkingSet = workingSetBefore;
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var peakManaged = managedBefore;
        var peakLive = managedBefore;
        using var sampler = new Timer(_ =>
        {
            process.Refresh();
            peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
            peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
        }, null, 0, 50);
        var stopwatch = Stopwatch.StartNew();

        // A synchronous source: Range on the current thread; the OnNext it calls is held while no permit is free,
        // so Subscribe returns only when the whole source has been taken.
        var source = Observable.Range(0, count)
            .Select(i =>
            {
                var ahead = Interlocked.Increment(ref emittedBySource) - Volatile.Read(ref results);
                if (ahead > maxAhead)
                {
                    maxAhead = ahead;
                }

                // What the sender holds is the live heap, not the garbage a busy machine has not collected yet:
                // measure it with a full collection every 100k records.
                if (i % 100_000 == 50_000)
                {
                    peakLive = Math.Max(peakLive, GC.GetTotalMemory(forceFullCollection: true));
                }

                return new SenderRecord<Null, byte[], int>(topic, null!, payload, i);
            });
        using var subscription = sender.Send(source).Subscribe(
            r =>
            {
                if (!r.IsSuccess)
                {
                    failures++;
                }

                results++;
            },
            e => done.TrySetException(e),
            () => done.TrySetResult());
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        stopwatch.Stop();
        sampler.Dispose();

        Assert.Equal(count, results);
        Assert.Equal(0, failures);
        Assert.InRange(sender.PeakInFlight, 1, maxInFlight);
        Assert.InRange(maxAhead, 1, maxInFlight + 1);
        Assert.Equal(count, broker.HighWatermark(topic));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{count} records in {stopwatch.Elapsed.TotalSeconds:F1} s ({count / stopwatch.Elapsed.TotalSeconds:F0} rec/s); " +
            $"peak in flight {sender.PeakInFlight} (bound {maxInFlight}); source ahead of results at most {maxAhead}; " +
            $"working set {workingSetBefore / 1048576} MiB before, peak {peakWorkingSet / 1048576} MiB; " +
            $"managed heap {managedBefore / 1048576} MiB before, peak {peakManaged / 1048576} MiB (live after a full collection: peak {peakLive / 1048576} MiB)");
        // Memory is bounded by the window, not the source: an unbounded buffer of a million records would need
        // hundreds of MiB of managed heap.
        Assert.True(peakLive - managedBefore < 64L * 1024 * 1024, $"live managed heap grew by {(peakLive - managedBefore) / 1048576} MiB");
    }

    [Fact]
    public async Task Send_NoPermitFree_SourceOnNextBlocksUntilAResultIsEmitted()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 4));
        var source = new Subject<SenderRecord<string, string, int>>();
        using var releaseObserver = new ManualResetEventSlim(false);
        using var firstResult = new ManualResetEventSlim(false);
        // The observer blocks in its first OnNext: no permit is released until it returns.
        using var subscription = sender.Send(source).Subscribe(_ =>
        {
            firstResult.Set();
            releaseObserver.Wait();
        });
        var producerThread = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 5; i++)
            {
                source.OnNext(Record(topic, i));
            }
        }, TaskCreationOptions.LongRunning);

        Assert.True(firstResult.Wait(TestTimeout, TestContext.Current.CancellationToken));
        // The fifth OnNext waits for a permit while the observer holds the first result.
        await Task.WhenAny(producerThread, Task.Delay(500, TestContext.Current.CancellationToken));
        Assert.False(producerThread.IsCompleted, "the fifth OnNext returned while 4 records were in flight");
        Assert.Equal(4, sender.InFlightCount);
        releaseObserver.Set();
        await producerThread.WaitAsync(TestTimeout, TestContext.Current.CancellationToken);
        Assert.Equal(5, broker.Consume(topic, 5).Count);
    }

    [Fact]
    public async Task Send_LibrdkafkaQueueFull_WaitsAndRetriesWithoutErrors()
    {
        var topic = await broker.CreateTopicAsync();
        var config = broker.ProducerConfig();
        config.QueueBufferingMaxMessages = 5;
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(config) { MaxInFlight = 200 });

        var notifications = await sender.Send(Observable.Range(0, 2000).Select(i => Record(topic, i))).NotificationsAsync();

        Assert.Equal(System.Reactive.NotificationKind.OnCompleted, notifications[^1].Kind);
        Assert.Equal(2000, notifications.Count(n => n.HasValue && n.Value.IsSuccess));
        Assert.Equal(2000, broker.HighWatermark(topic));
    }

    [Fact]
    public async Task SendAsync_AsyncSourceFasterThanConsumer_SourceNeverMoreThanMaxInFlightAhead()
    {
        const int maxInFlight = 8;
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: maxInFlight));
        var pulled = 0;
        var consumed = 0;
        var maxAhead = 0;

        async IAsyncEnumerable<SenderRecord<string, string, int>> Source()
        {
            for (var i = 0; i < 200; i++)
            {
                await Task.Yield();
                maxAhead = Math.Max(maxAhead, Interlocked.Increment(ref pulled) - Volatile.Read(ref consumed));
                yield return Record(topic, i);
            }
        }

        await foreach (var result in sender.SendAsync(Source(), TestContext.Current.CancellationToken))
        {
            Assert.True(result.IsSuccess);
            if (consumed % 50 == 0)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken); // a slow consumer now and then
            }

            Interlocked.Increment(ref consumed);
        }

        Assert.Equal(200, consumed);
        // The source may be one record ahead: the one waiting for a permit.
        Assert.InRange(maxAhead, 1, maxInFlight + 1);
        Assert.InRange(sender.PeakInFlight, 1, maxInFlight);
    }
}
