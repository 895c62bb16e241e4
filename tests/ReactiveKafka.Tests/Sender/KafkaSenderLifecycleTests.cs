using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Sender.SenderTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>Single sends, async streams, the outbound chain, the producer escape hatch, and closing the sender.</summary>
public sealed class KafkaSenderLifecycleTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    [Fact]
    public async Task SendAsync_SingleRecord_ReturnsOffsetAndCorrelation()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());

        var first = await sender.SendAsync(Record(topic, 7), TestContext.Current.CancellationToken);
        var second = await sender.SendAsync(Record(topic, 8), TestContext.Current.CancellationToken);

        Assert.True(first.IsSuccess);
        Assert.Equal(7, first.Correlation);
        Assert.Equal(new TopicPartitionOffset(topic, 0, 0), first.TopicPartitionOffset);
        Assert.Equal(new TopicPartitionOffset(topic, 0, 1), second.TopicPartitionOffset);
    }

    [Fact]
    public async Task SendAsync_SingleRecordFailsWithStopOnError_ThrowsAndWithoutStopOnErrorReturnsFailure()
    {
        var topic = await broker.CreateTopicAsync();
        var options = new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new ThrowingSerializer());
        await using var stopping = KafkaSender.Create(options);
        await using var continuing = KafkaSender.Create(options with { StopOnError = false });
        var bad = new SenderRecord<string, string, int>(topic, "k", "boom", 1);

        var thrown = await Assert.ThrowsAsync<ProduceException<string, string>>(() => stopping.SendAsync(bad, TestContext.Current.CancellationToken));
        var returned = await continuing.SendAsync(bad, TestContext.Current.CancellationToken);

        Assert.Equal(ErrorCode.Local_ValueSerialization, thrown.Error.Code);
        Assert.Equal(ErrorCode.Local_ValueSerialization, Assert.IsType<ProduceException<string, string>>(returned.Exception).Error.Code);
        Assert.Equal(1, returned.Correlation);
    }

    /// <summary>Issue 19, defect 2 for the sender: results already queued are not yielded once the cancellation is seen.</summary>
    [Fact]
    public async Task SendAsync_CanceledWithResultsQueued_YieldsNothingAfterTheCancel()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 200));

        static async IAsyncEnumerable<SenderRecord<string, string, int>> Source(string topic)
        {
            for (var i = 0; i < 200; i++)
            {
                await Task.Yield();
                yield return Record(topic, i);
            }
        }

        using var cancel = new CancellationTokenSource();
        var yielded = 0;
        var afterCancel = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var result in sender.SendAsync(Source(topic), cancel.Token))
            {
                if (cancel.IsCancellationRequested)
                {
                    afterCancel++;
                }

                if (++yielded == 1)
                {
                    // Every record written (so their results are on their way or queued), then cancel.
                    await Task.Run(() => broker.ConsumeUntil(topic, records => records.Count == 200), TestContext.Current.CancellationToken);
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.Equal(1, yielded);
        Assert.Equal(0, afterCancel);
    }

    [Fact]
    public async Task SendAsync_AsyncStream_ResultsForEveryRecordAndStopOnErrorThrowsAfterInFlight()
    {
        var topic = await broker.CreateTopicAsync();
        var options = new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new ThrowingSerializer()) { MaxInFlight = 16 };
        await using var sender = KafkaSender.Create(options);

        static async IAsyncEnumerable<SenderRecord<string, string, int>> Source(string topic, int failAt)
        {
            for (var i = 0; i < 100; i++)
            {
                await Task.Yield();
                yield return new SenderRecord<string, string, int>(topic, $"k{i}", i == failAt ? "boom" : $"v{i}", i);
            }
        }

        var all = new List<int>();
        await foreach (var result in sender.SendAsync(Source(topic, failAt: -1), TestContext.Current.CancellationToken))
        {
            all.Add(result.Correlation);
        }

        var beforeFailure = new List<int>();
        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(async () =>
        {
            await foreach (var result in sender.SendAsync(Source(topic, failAt: 50), TestContext.Current.CancellationToken))
            {
                beforeFailure.Add(result.Correlation);
            }
        });

        Assert.Equal(Enumerable.Range(0, 100), all);
        Assert.Equal(ErrorCode.Local_ValueSerialization, error.Error.Code);
        Assert.Equal(Enumerable.Range(0, 50), beforeFailure.Order());
        Assert.Equal(150, broker.HighWatermark(topic));
    }

    [Fact]
    public async Task SendAsync_SourceThrows_ThrownAfterInFlightRecordsSettle()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());

        static async IAsyncEnumerable<SenderRecord<string, string, int>> Source(string topic)
        {
            for (var i = 0; i < 30; i++)
            {
                yield return Record(topic, i);
            }

            await Task.Yield();
            throw new InvalidDataException("source broke");
        }

        var results = 0;
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var result in sender.SendAsync(Source(topic), TestContext.Current.CancellationToken))
            {
                Assert.True(result.IsSuccess);
                results++;
            }
        });

        Assert.Equal("source broke", error.Message);
        Assert.Equal(30, results);
    }

    [Fact]
    public async Task Outbound_TwoSequences_SentOneAfterTheOtherAndCompletesWhenAllDelivered()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());
        var first = Observable.Range(0, 100).Select(i => Record(topic, i));
        var second = Observable.Range(100, 100).Select(i => new SenderRecord<string, string, string>(topic, $"key-{i}", $"value-{i}", $"#{i}"));

        await sender.CreateOutbound().Send(first).Send(second).Then();

        Assert.Equal(200, broker.HighWatermark(topic));
        var stored = broker.Consume(topic, 200);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"key-{i}"), stored.Select(r => Text(r.Message.Key)));
    }

    [Fact]
    public async Task Outbound_FailingRecord_FailsAndLaterSequencesAreNotSent()
    {
        var topic = await broker.CreateTopicAsync();
        var options = new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new ThrowingSerializer()) { StopOnError = false };
        await using var sender = KafkaSender.Create(options);
        var failing = Observable.Range(0, 10).Select(i => new SenderRecord<string, string, int>(topic, $"k{i}", i == 5 ? "boom" : "v", i));
        var later = Observable.Range(0, 10).Select(i => Record(topic, 100 + i));

        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(() => sender.CreateOutbound().Send(failing).Send(later).ThenAsync(TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.Local_ValueSerialization, error.Error.Code);
        // A marker after the failure: nothing of the later sequence is before it.
        await sender.SendAsync(Record(topic, -1), TestContext.Current.CancellationToken);
        var stored = broker.ConsumeUntil(topic, records => records.Any(r => Text(r.Message.Key) == "key--1"));
        Assert.DoesNotContain(stored, r => Text(r.Message.Key).StartsWith("key-1", StringComparison.Ordinal) && Text(r.Message.Key).Length == 7);
    }

    [Fact]
    public async Task DoOnProducer_TypedProducerSharingTheHandle_ProducesToTheSameBroker()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());

        var report = await sender.DoOnProducer(producer => producer.ProduceAsync(topic, new Message<string, string> { Key = "raw", Value = "value" }));

        Assert.Equal(PersistenceStatus.Persisted, report.Status);
        Assert.Equal("raw", Text(Assert.Single(broker.Consume(topic, 1)).Message.Key));
    }

    [Fact]
    public async Task Dispose_RecordsInFlight_FlushedThenEveryUseThrowsObjectDisposed()
    {
        var topic = await broker.CreateTopicAsync();
        var sender = KafkaSender.Create(broker.Options() with { StopOnError = false });
        var notifications = sender.Send(Observable.Range(0, 1000).Select(i => Record(topic, i))).NotificationsAsync();

        await sender.DisposeAsync();

        var all = await notifications;
        Assert.Equal(1000, all.Count(n => n.HasValue && n.Value.IsSuccess));
        Assert.Equal(1000, broker.HighWatermark(topic));
        Assert.Throws<ObjectDisposedException>(() => sender.Send(Observable.Return(Record(topic, 1))));
        Assert.Throws<ObjectDisposedException>(() => sender.SendAsync(AsyncEnumerable.Empty<SenderRecord<string, string, int>>(), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sender.SendAsync(Record(topic, 1), TestContext.Current.CancellationToken));
        Assert.Throws<ObjectDisposedException>(() => sender.CreateOutbound());
        Assert.Throws<ObjectDisposedException>(() => sender.DoOnProducer(p => p.Name));
    }

    [Fact]
    public async Task Dispose_BrokerUnreachable_FailsInFlightRecordsAfterCloseTimeout()
    {
        var options = new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = $"127.0.0.1:{UnusedPort()}", MessageTimeoutMs = 300_000 })
        {
            StopOnError = false,
            CloseTimeout = TimeSpan.FromSeconds(1),
        };
        var sender = KafkaSender.Create(options);
        var source = new Subject<SenderRecord<string, string, int>>();
        var notifications = sender.Send(source).NotificationsAsync();
        for (var i = 0; i < 5; i++)
        {
            source.OnNext(Record("nowhere", i));
        }

        var stopwatch = Stopwatch.StartNew();
        sender.Dispose();
        stopwatch.Stop();

        var all = await notifications;
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        var failures = all.Where(n => n.HasValue).Select(n => n.Value).ToList();
        Assert.Equal(Enumerable.Range(0, 5), failures.Select(r => r.Correlation).Order());
        Assert.All(failures, r =>
        {
            var error = Assert.IsType<ProduceException<string, string>>(r.Exception);
            Assert.Equal(ErrorCode.Local_Destroy, error.Error.Code);
            Assert.Contains("CloseTimeout", error.Message, StringComparison.Ordinal);
        });
        // The source was still open: the stream ends with the sender's disposal.
        Assert.IsType<ObjectDisposedException>(all[^1].Exception);
        Assert.False(source.HasObservers);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
