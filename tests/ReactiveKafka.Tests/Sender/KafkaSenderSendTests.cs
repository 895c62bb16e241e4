using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Sender.SenderTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>The observable API against the bundled broker: results, order, errors, completion, concurrency.</summary>
public sealed class KafkaSenderSendTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    [Fact]
    public async Task Send_RecordsToSeveralPartitions_OneResultPerRecordInSendOrderPerPartitionWithCorrelation()
    {
        var topic = await broker.CreateTopicAsync(partitions: 3);
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 64));
        var records = Observable.Range(0, 300, TaskPoolScheduler.Default).Select(i => Record(topic, i, partition: i % 3));

        var notifications = await sender.Send(records).NotificationsAsync();

        Assert.Equal(NotificationKind.OnCompleted, notifications[^1].Kind);
        var results = notifications.SkipLast(1).Select(n => n.Value).ToList();
        Assert.Equal(300, results.Count);
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Equal(Enumerable.Range(0, 300), results.Select(r => r.Correlation).Order());
        foreach (var partition in results.GroupBy(r => r.Partition.Value))
        {
            // Within a partition: results in send order, offsets in send order, every record on its requested partition.
            var inPartition = partition.ToList();
            Assert.All(inPartition, r => Assert.Equal(r.Correlation % 3, r.Partition.Value));
            Assert.Equal(inPartition.Select(r => r.Correlation).Order(), inPartition.Select(r => r.Correlation));
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), inPartition.Select(r => r.Offset.Value));
        }

        // What the broker stored matches the results.
        var stored = broker.Consume(topic, 300, partitions: 3);
        var byCorrelation = results.ToDictionary(r => r.Correlation);
        Assert.All(stored, record =>
        {
            var i = int.Parse(Text(record.Message.Key)["key-".Length..]);
            Assert.Equal($"value-{i}", Text(record.Message.Value));
            Assert.Equal(byCorrelation[i].TopicPartitionOffset, record.TopicPartitionOffset);
        });
    }

    [Fact]
    public async Task Send_Completion_OnlyAfterEveryInFlightRecordHasItsResult()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 500));
        var resultsAtCompletion = -1;
        var results = 0;
        var completed = new TaskCompletionSource();

        // The source completes long before the last acknowledgements arrive.
        using var subscription = sender.Send(Observable.Range(0, 500, TaskPoolScheduler.Default).Select(i => Record(topic, i)))
            .Subscribe(_ => results++, e => completed.TrySetException(e), () =>
            {
                resultsAtCompletion = results;
                completed.TrySetResult();
            });

        await completed.Task.WaitAsync(TestTimeout, TestContext.Current.CancellationToken);
        Assert.Equal(500, resultsAtCompletion);
        Assert.Equal(0, sender.InFlightCount);
    }

    [Fact]
    public async Task Send_StopOnErrorAndSerializerFailure_FailsAfterInFlightAndSendsNothingAfterIt()
    {
        var topic = await broker.CreateTopicAsync();
        var options = new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new ThrowingSerializer()) { MaxInFlight = 100 };
        await using var sender = KafkaSender.Create(options);
        var records = Observable.Range(0, 50).Select(i => new SenderRecord<string, string, int>(topic, $"k{i}", i == 20 ? "boom" : $"v{i}", i));

        var notifications = await sender.Send(records).NotificationsAsync();

        var error = Assert.Single(notifications, n => n.Kind == NotificationKind.OnError).Exception;
        var produceError = Assert.IsType<ProduceException<string, string>>(error);
        Assert.Equal(ErrorCode.Local_ValueSerialization, produceError.Error.Code);
        Assert.IsType<InvalidOperationException>(produceError.InnerException);
        Assert.Equal("k20", produceError.DeliveryResult.Message.Key);
        Assert.Equal(NotificationKind.OnError, notifications[^1].Kind);

        // The 20 records in flight before the failure completed and were emitted; nothing after it was sent.
        Assert.Equal(Enumerable.Range(0, 20), notifications.SkipLast(1).Select(n => n.Value.Correlation).Order());
        Assert.Equal(20, broker.HighWatermark(topic));
    }

    [Fact]
    public async Task Send_StopOnErrorAndBrokerRejectsRecord_FailsWithThatErrorAndSendsNothingAfterIt()
    {
        var topic = await broker.CreateTopicAsync(partitions: 1);
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 1));
        // Record 5 goes to a partition that does not exist.
        var records = Observable.Range(0, 10).Select(i => Record(topic, i, partition: i == 5 ? 7 : 0));

        var notifications = await sender.Send(records).NotificationsAsync();

        var error = Assert.IsType<ProduceException<string, string>>(notifications[^1].Exception);
        Assert.Equal(ErrorCode.Local_UnknownPartition, error.Error.Code);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, notifications.SkipLast(1).Select(n => n.Value.Correlation));
        Assert.Equal(5, broker.HighWatermark(topic));
    }

    [Fact]
    public async Task Send_StopOnErrorFalse_EveryRecordGetsAResultAndFailuresCarryTheirException()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        var options = new SenderOptions<string, string>(broker.ProducerConfig(), valueSerializer: new ThrowingSerializer())
        {
            MaxInFlight = 16,
            StopOnError = false,
        };
        await using var sender = KafkaSender.Create(options);
        var tooLarge = new string('x', 2 * 1024 * 1024);
        var records = Observable.Range(0, 60).Select(i => new SenderRecord<string, string, int>(
            topic, $"k{i}", i % 10 == 3 ? "boom" : i % 10 == 6 ? tooLarge : $"v{i}", i)
        {
            Partition = i % 10 == 9 ? 42 : i % 2,
        });

        var notifications = await sender.Send(records).NotificationsAsync();

        Assert.Equal(NotificationKind.OnCompleted, notifications[^1].Kind);
        var results = notifications.SkipLast(1).Select(n => n.Value).ToDictionary(r => r.Correlation);
        Assert.Equal(60, results.Count);
        foreach (var (i, result) in results)
        {
            var expected = (i % 10) switch
            {
                3 => ErrorCode.Local_ValueSerialization,
                6 => ErrorCode.MsgSizeTooLarge,
                9 => ErrorCode.Local_UnknownPartition,
                _ => ErrorCode.NoError,
            };
            if (expected == ErrorCode.NoError)
            {
                Assert.True(result.IsSuccess, result.ToString());
                Assert.Equal(i % 2, result.Partition.Value);
            }
            else
            {
                var error = Assert.IsType<ProduceException<string, string>>(result.Exception);
                Assert.Equal(expected, error.Error.Code);
                Assert.Equal($"k{i}", error.DeliveryResult.Message.Key);
            }
        }

        Assert.Equal(42, broker.Consume(topic, 42, partitions: 2).Count);
    }

    [Fact]
    public async Task Send_SourceFails_ErrorEmittedAfterInFlightRecordsSettle()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());
        var failure = new InvalidOperationException("source broke");
        var records = Observable.Range(0, 50).Select(i => Record(topic, i)).Concat(Observable.Throw<SenderRecord<string, string, int>>(failure));

        var notifications = await sender.Send(records).NotificationsAsync();

        Assert.Same(failure, notifications[^1].Exception);
        Assert.Equal(50, notifications.Count(n => n.Kind == NotificationKind.OnNext && n.Value.IsSuccess));
    }

    /// <summary>
    /// Issue 19: with a synchronous source, Subscribe blocked until the source ended. It now returns once the source has
    /// used up its MaxInFlight permits (as a Reactor Kafka subscription returns when the demand is used up).
    /// </summary>
    [Fact]
    public async Task Send_SynchronousSourceLargerThanMaxInFlight_SubscribeReturnsBeforeTheSourceEnds()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 100));
        using var release = new ManualResetEventSlim();
        var sourceEnded = 0;
        var results = 0;
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = Observable.Range(0, 1000).Select(i => Record(topic, i)).Finally(() => Volatile.Write(ref sourceEnded, 1));

        // Results are held until the test lets them go (or, if Subscribe blocks, until 3 s have passed), so the source
        // cannot get past its first 100 records meanwhile.
        var holdUntil = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        using var subscription = sender.Send(source).Subscribe(
            _ =>
            {
                var left = holdUntil - DateTime.UtcNow;
                release.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                Interlocked.Increment(ref results);
            },
            error => completed.TrySetException(error),
            () => completed.TrySetResult());
        var endedWhenSubscribeReturned = Volatile.Read(ref sourceEnded) != 0;
        release.Set();
        await completed.Task.WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.False(endedWhenSubscribeReturned, "Subscribe returned only after the synchronous source ended");
        Assert.Equal(1000, results);
        Assert.Equal(1, Volatile.Read(ref sourceEnded));
    }

    [Fact]
    public async Task Send_SubscriptionDisposed_StopsTakingNewRecords()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());
        var source = new Subject<SenderRecord<string, string, int>>();
        var received = 0;
        var tenReceived = new TaskCompletionSource();
        var subscription = sender.Send(source).Subscribe(_ =>
        {
            if (Interlocked.Increment(ref received) == 10)
            {
                tenReceived.TrySetResult();
            }
        });
        for (var i = 0; i < 10; i++)
        {
            source.OnNext(Record(topic, i));
        }

        await tenReceived.Task.WaitAsync(TestTimeout, TestContext.Current.CancellationToken);
        subscription.Dispose();
        for (var i = 10; i < 20; i++)
        {
            source.OnNext(Record(topic, i));
        }

        Assert.False(source.HasObservers);
        // A marker sent afterwards on its own: everything before it in the partition is what was really sent.
        await sender.SendAsync(Record(topic, -1), TestContext.Current.CancellationToken);
        var stored = broker.ConsumeUntil(topic, records => records.Any(r => Text(r.Message.Key) == "key--1"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"key-{i}").Append("key--1"), stored.Select(r => Text(r.Message.Key)));
        Assert.Equal(10, received);
    }

    [Fact]
    public async Task Send_ConcurrentSubscriptionsOnOneSender_EachGetsExactlyItsOwnResults()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        await using var sender = KafkaSender.Create(broker.Options(maxInFlight: 32));

        var sends = Enumerable.Range(0, 4).Select(stream => sender
            .Send(Observable.Range(stream * 1000, 400, NewThreadScheduler.Default).Select(i => Record(topic, i, partition: stream % 2)))
            .NotificationsAsync()).ToList();
        var all = await Task.WhenAll(sends);

        for (var stream = 0; stream < 4; stream++)
        {
            Assert.Equal(NotificationKind.OnCompleted, all[stream][^1].Kind);
            var correlations = all[stream].SkipLast(1).Select(n => n.Value.Correlation).ToList();
            Assert.Equal(Enumerable.Range(stream * 1000, 400), correlations.Order());
            Assert.All(all[stream].SkipLast(1), n => Assert.Equal(stream % 2, n.Value.Partition.Value));
        }
    }

    [Fact]
    public async Task Send_HeadersAndTimestamp_StoredWithTheRecord()
    {
        var topic = await broker.CreateTopicAsync();
        await using var sender = KafkaSender.Create(broker.Options());
        var timestamp = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var record = Record(topic, 1) with { Headers = new Headers { { "trace", [1, 2, 3] } }, Timestamp = timestamp };

        var result = await sender.Send(Observable.Return(record)).FirstAsync().ToTask().WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(timestamp.ToUnixTimeMilliseconds(), result.Timestamp.UnixTimestampMs);
        var stored = Assert.Single(broker.Consume(topic, 1));
        Assert.Equal([1, 2, 3], stored.Message.Headers.GetLastBytes("trace"));
        Assert.Equal(timestamp.ToUnixTimeMilliseconds(), stored.Message.Timestamp.UnixTimestampMs);
    }
}
