using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Sender.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>The pool of in-flight slots on its own: no broker (the producer is built but never reaches one).</summary>
public sealed class InFlightRecordPoolTests : IDisposable
{
    private readonly ProducerCore<string, string> _core =
        new(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }));

    public void Dispose() => _core.Dispose();

    [Fact]
    public void Rent_AfterAFailedRecord_ReusesTheSlotAndKeepsEachRecordsCorrelation()
    {
        var pool = new InFlightRecordPool<string, string, int>(_core);
        var sink = new ListSink();

        var first = pool.Rent(new SenderRecord<string, string, int>("t", "k", "v", 1), sink);
        first.Fail(new Error(ErrorCode.Local_Fail, "one"), null, Partition.Any);
        var second = pool.Rent(new SenderRecord<string, string, int>("t", "k", "v", 2), sink);
        second.Fail(new Error(ErrorCode.Local_Fail, "two"), null, Partition.Any);

        Assert.Same(first, second);
        Assert.Equal(1, pool.Created);
        Assert.Equal([1, 2], sink.Results.Select(r => r.Correlation));
        Assert.Equal(["one", "two"], sink.Results.Select(r => Assert.IsType<ProduceException<string, string>>(r.Exception).Error.Reason));
    }

    [Fact]
    public void FailOnClose_WaitingRecord_FailsItOnceAndNeverReusesTheSlot()
    {
        var pool = new InFlightRecordPool<string, string, int>(_core);
        var sink = new ListSink();
        var waiting = pool.Rent(new SenderRecord<string, string, int>("t", "k", "v", 7), sink);

        Assert.Equal(1, pool.Waiting());
        pool.FailOnClose(TimeSpan.FromSeconds(1));
        pool.FailOnClose(TimeSpan.FromSeconds(1));
        var next = pool.Rent(new SenderRecord<string, string, int>("t", "k", "v", 8), sink);

        Assert.NotSame(waiting, next);
        Assert.Equal(2, pool.Created);
        var result = Assert.Single(sink.Results);
        Assert.Equal(7, result.Correlation);
        Assert.Equal(ErrorCode.Local_Destroy, Assert.IsType<ProduceException<string, string>>(result.Exception).Error.Code);
    }

    [Fact]
    public async Task RentAndReturn_ReturnedOnAnotherThread_NoSlotHandedOutTwiceAndGrowthBoundedByTheWindow()
    {
        const int Window = 64;
        const int Records = 200_000;
        var pool = new InFlightRecordPool<string, string, int>(_core);
        var outstanding = new ConcurrentDictionary<InFlightRecord<string, string, int>, int>();
        var handOff = new BlockingCollection<InFlightRecord<string, string, int>>(Window);
        var duplicates = 0;
        var returner = Task.Factory.StartNew(() =>
        {
            foreach (var entry in handOff.GetConsumingEnumerable())
            {
                outstanding.TryRemove(entry, out _);
                pool.Return(entry);
            }
        }, TaskCreationOptions.LongRunning);

        var sink = new ListSink();
        for (var i = 0; i < Records; i++)
        {
            var entry = pool.Rent(new SenderRecord<string, string, int>("t", "k", "v", i), sink);
            if (!outstanding.TryAdd(entry, i))
            {
                duplicates++;
            }

            handOff.Add(entry, TestContext.Current.CancellationToken);
        }

        handOff.CompleteAdding();
        await returner.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(0, duplicates);

        // At most the window in the hand-off, one being returned, one being rented.
        Assert.InRange(pool.Created, 1, Window + 2);
    }

    private sealed class ListSink : IResultSink<int>
    {
        public List<SenderResult<int>> Results { get; } = [];

        public void OnResult(SenderResult<int> result) => Results.Add(result);
    }
}
