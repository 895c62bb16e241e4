using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// Bounded memory whatever the backlog. It measures the whole test process's working set, so it runs alone
/// (<see cref="ProcessMemoryCollection"/>): another test's records in the same process must not count.
/// </summary>
[Collection(nameof(ProcessMemoryCollection))]
public sealed class KafkaReceiverBacklogMemoryTests(BundledBrokerFixture broker, ITestOutputHelper output) : IClassFixture<BundledBrokerFixture>
{
    /// <summary>
    /// The backlog of the memory test: a million records (about 5 s here), 500 times the receiver's bounds.
    /// </summary>
    private const int BacklogRecords = 1_000_000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Receive_LargeBacklogSlowSubscriber_BufferedAndUnacknowledgedStayWithinBounds()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        var produce = Stopwatch.StartNew();
        Produce(broker, topic, BacklogRecords, partitions: 2);
        produce.Stop();
        const int bufferSize = 500, maxUnacknowledged = 2000;
        var options = Options(broker, topic) with { BufferSize = bufferSize, MaxUnacknowledged = maxUnacknowledged };
        var receiver = KafkaReceiver.Create(options);
        var pending = new ConcurrentQueue<ReceiverRecord<string, string>>();
        long emitted = 0, acknowledged = 0, peakOutstanding = 0;
        using var acknowledger = new CancellationTokenSource();

        // The slow part: records are acknowledged later, by another thread, a thousand at a time with a pause between.
        var acknowledging = Task.Run(async () =>
        {
            while (!acknowledger.IsCancellationRequested)
            {
                for (var i = 0; i < 1000 && pending.TryDequeue(out var record); i++)
                {
                    // Counted first: the subscriber's emitted-minus-acknowledged then never runs ahead of the loop's own count.
                    Interlocked.Increment(ref acknowledged);
                    record.Offset.Acknowledge();
                }

                await Task.Delay(1);
            }
        }, TestContext.Current.CancellationToken);

        GC.Collect();
        var workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
        var peakWorkingSet = workingSetBefore;
        var clock = Stopwatch.StartNew();
        using var subscription = receiver.Receive().Subscribe(record =>
        {
            var outstanding = Interlocked.Increment(ref emitted) - Interlocked.Read(ref acknowledged);
            if (outstanding > peakOutstanding)
            {
                peakOutstanding = outstanding;
            }

            if ((emitted & 0x3FFF) == 0)
            {
                peakWorkingSet = Math.Max(peakWorkingSet, Process.GetCurrentProcess().WorkingSet64);
            }

            pending.Enqueue(record);
        });

        await WaitUntil(
            () => Interlocked.Read(ref acknowledged) == BacklogRecords,
            Timeout,
            () => $"every backlog record acknowledged (so far {Interlocked.Read(ref acknowledged)}, pauses {receiver.Loop?.Pauses}, {clock.ElapsedMilliseconds} ms)");
        clock.Stop();
        await acknowledger.CancelAsync();
        await acknowledging;

        var loop = receiver.Loop!;
        output.WriteLine(
            $"backlog {BacklogRecords} (produced in {produce.ElapsedMilliseconds} ms), received in {clock.ElapsedMilliseconds} ms; " +
            $"peak buffered {loop.Buffer.Peak}/{bufferSize}, peak unacknowledged (loop) {loop.PeakUnacknowledged}/{maxUnacknowledged}, " +
            $"peak emitted-unacknowledged (subscriber) {peakOutstanding}; pauses {loop.Pauses}; working set before {workingSetBefore >> 20} MiB, " +
            $"peak while receiving {peakWorkingSet >> 20} MiB (+{(peakWorkingSet - workingSetBefore) >> 20} MiB), process peak {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB");
        Assert.InRange(loop.Buffer.Peak, 1, bufferSize);
        Assert.InRange(loop.PeakUnacknowledged, 1, maxUnacknowledged);
        Assert.InRange(peakOutstanding, 1, maxUnacknowledged);
        Assert.True(loop.Buffer.Peak == bufferSize || loop.PeakUnacknowledged == maxUnacknowledged, "the slow subscriber made the receiver reach a bound");
        Assert.Equal(1, loop.Assignments);
        Assert.Equal(0, loop.Revocations);

        // Holding the backlog would take well over 200 MiB of records; librdkafka's own prefetch queue (64 MiB by
        // default, not one of the receiver's options) is most of what growth there is.
        Assert.True(peakWorkingSet - workingSetBefore < 160L << 20, $"working set grew by {(peakWorkingSet - workingSetBefore) >> 20} MiB");
    }
}
