using System.Reactive.Linq;
using ReactiveKafka.Tests.Infrastructure;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>
/// <c>WhereAcknowledging</c> on the bundled broker: dropped records are acknowledged, so commits go past them and the
/// receiver never stalls at <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>; Rx's <c>Where</c>, the
/// control, stops at the first dropped record.
/// </summary>
public sealed class WhereAcknowledgingTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Observable_DroppedRecords_AreCommittedPast()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 100);
        var options = Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);

        // Keeps every tenth record; 90 dropped records would stall commits at offset 1 with Where.
        var kept = await receiver.Receive()
            .WhereAcknowledging(r => r.Offset.Value % 10 == 0)
            .Do(r => r.Offset.Acknowledge())
            .Select(r => r.Value)
            .Take(10)
            .ToList()
            .Timeout(Timeout);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + (i * 10)), kept);
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        // The tenth kept record is offset 90 and ends the subscription: every offset up to it is acknowledged, the
        // 81 dropped ones by the filter, so the commit is 91 (with Where it would stop at 1, the first dropped one).
        Assert.Equal([91L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task Observable_MoreDroppedThanMaxUnacknowledged_KeepsFlowing()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 300);
        var options = Options(broker, topic) with { MaxUnacknowledged = 20, BufferSize = 10 };
        var receiver = KafkaReceiver.Create(options);

        // 299 dropped records against a bound of 20 unacknowledged: only the last one is kept.
        var last = await receiver.Receive()
            .WhereAcknowledging(r => r.Value == "v299")
            .Do(r => r.Offset.Acknowledge())
            .FirstAsync()
            .Timeout(Timeout);

        Assert.Equal(299, last.Offset.Value);
        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([300L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task Where_Control_CommitStopsAtTheFirstDroppedRecord()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 20);
        var options = Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);

        await receiver.Receive()
            .Where(r => r.Offset.Value % 2 == 0)
            .Do(r => r.Offset.Acknowledge())
            .Take(10)
            .LastAsync()
            .Timeout(Timeout);

        await receiver.Loop!.Finished.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([1L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public async Task Async_DroppedRecords_AreCommittedPast()
    {
        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 50);
        var options = Options(broker, topic) with { CommitInterval = TimeSpan.Zero };
        var receiver = KafkaReceiver.Create(options);

        var kept = new List<string>();
        await foreach (var record in receiver.ReceiveAsync(TestContext.Current.CancellationToken).WhereAcknowledging(r => r.Value.EndsWith('9')))
        {
            kept.Add(record.Value);
            record.Offset.Acknowledge();
            if (record.Value == "v49")
            {
                break;
            }
        }

        Assert.Equal(["v9", "v19", "v29", "v39", "v49"], kept);
        Assert.Equal([50L], Committed(broker, options.ConsumerProperties["group.id"], topic));
    }

    [Fact]
    public void NullArguments_Throw()
    {
        IObservable<ReceiverRecord<string, string>> source = Observable.Empty<ReceiverRecord<string, string>>();

        Assert.Equal("predicate", Assert.Throws<ArgumentNullException>(() => source.WhereAcknowledging(null!)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => ((IObservable<ReceiverRecord<string, string>>)null!).WhereAcknowledging(_ => true)).ParamName);
    }
}
