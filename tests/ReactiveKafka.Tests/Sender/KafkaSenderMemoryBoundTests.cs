using System.Diagnostics;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>
/// The in-flight bound keeps memory bounded whatever the source. It measures the whole test process's heap, so it runs
/// alone (<see cref="ProcessMemoryCollection"/>): another test's records in the same process must not count.
/// </summary>
[Collection(nameof(ProcessMemoryCollection))]
public sealed class KafkaSenderMemoryBoundTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
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
}
