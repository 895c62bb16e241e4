using System.Reactive.Linq;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Sender.SenderTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>
/// The in-flight bound: a fast source waits and a full librdkafka queue is waited out (the memory bound is
/// <see cref="KafkaSenderMemoryBoundTests"/>).
/// </summary>
public sealed class KafkaSenderBackpressureTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
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
