using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

public sealed class ConsumerGroupTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Subscribe_TwoConsumersThenOneLeaves_PartitionsSplitThenTakenOverFromCommittedOffsets()
    {
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 3);
        var seen = new List<(string Consumer, ConsumeResult<string, string> Result)>();

        using var first = new ConsumerBuilder<string, string>(fixture.ConsumerConfig(group)).Build();
        using var second = new ConsumerBuilder<string, string>(fixture.ConsumerConfig(group)).Build();
        first.Subscribe(topic);
        second.Subscribe(topic);

        void PollBoth()
        {
            if (first.Consume(TimeSpan.FromMilliseconds(50)) is { } a)
            {
                seen.Add(("first", a));
            }

            if (second.Consume(TimeSpan.FromMilliseconds(50)) is { } b)
            {
                seen.Add(("second", b));
            }
        }

        await WaitPolling(PollBoth, () => first.Assignment.Count > 0 && second.Assignment.Count > 0
            && first.Assignment.Concat(second.Assignment).Select(p => p.Partition.Value).Distinct().Count() == 3
            && first.Assignment.Count + second.Assignment.Count == 3, "both consumers own partitions, together all 3");
        Assert.Empty(first.Assignment.Intersect(second.Assignment));

        using (var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 30; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, i % 3), new Message<string, string> { Key = "k", Value = $"a-{i}" }, TestContext.Current.CancellationToken);
            }
        }

        await WaitPolling(PollBoth, () => seen.Count >= 30, "30 records consumed by the two members");
        Assert.Contains(seen, s => s.Consumer == "first");
        Assert.Contains(seen, s => s.Consumer == "second");
        first.Commit();
        second.Commit();
        var firstPartitions = first.Assignment.ToList();
        var committed = second.Committed(firstPartitions, TimeSpan.FromSeconds(10));
        Assert.All(committed, c => Assert.Equal(10, c.Offset.Value));

        first.Close();
        seen.Clear();
        void PollSecond()
        {
            if (second.Consume(TimeSpan.FromMilliseconds(50)) is { } r)
            {
                seen.Add(("second", r));
            }
        }

        await WaitPolling(PollSecond, () => second.Assignment.Count == 3, "the remaining consumer takes over all 3 partitions");
        Assert.Empty(seen);

        using (var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 30; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, i % 3), new Message<string, string> { Key = "k", Value = $"b-{i}" }, TestContext.Current.CancellationToken);
            }
        }

        await WaitPolling(PollSecond, () => seen.Count >= 30, "the remaining consumer consumed the 30 new records");
        for (var i = 0; i < 5; i++)
        {
            PollSecond();
        }

        // Resumed at the committed offsets: only the new records, none replayed, none lost.
        Assert.Equal(30, seen.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"b-{i}").Order(), seen.Select(s => s.Result.Message.Value).Order());
        foreach (var partition in firstPartitions)
        {
            Assert.Equal(10, seen.Where(s => s.Result.Partition == partition.Partition).Min(s => s.Result.Offset.Value));
        }

        second.Close();
    }

    private static async Task WaitPolling(Action poll, Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for: " + what);
            }

            poll();
            await Task.Yield();
        }
    }
}
