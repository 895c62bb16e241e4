using System.Diagnostics;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>A broker with the default <see cref="BrokerOptions.GroupInitialRebalanceDelay"/> (Kafka's 3 s).</summary>
public sealed class DefaultGroupDelayBrokerFixture : BrokerFixture
{
    protected override BrokerOptions Configure(BrokerOptions options) =>
        options with { GroupInitialRebalanceDelay = new BrokerOptions().GroupInitialRebalanceDelay };
}

/// <summary>How a group forms when its members start together (issue 13, item 12: the first hang).</summary>
public sealed class GroupStartupTests(DefaultGroupDelayBrokerFixture fixture) : IClassFixture<DefaultGroupDelayBrokerFixture>
{
    [Fact]
    public async Task TwoMembersStartedTogether_DisjointTopics_SecondConsumesAtOnceWhileFirstIsNotPolled()
    {
        // One group, two consumers subscribing half a second apart to topics of disjoint names; the
        // application polls the first until it has its record, then the second. With Kafka's 3 s initial
        // rebalance delay both share generation 1. With no delay the second's join started a second
        // rebalance that the unpolled first member (eager: its revoke waits for the application) never
        // completed, so the second hung for max.poll.interval.ms (5 minutes).
        var first = BrokerFixture.NewTopic("alpha");
        var second = BrokerFixture.NewTopic("zulu");
        await fixture.CreateTopicAsync(first, 1);
        await fixture.CreateTopicAsync(second, 1);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            await producer.ProduceAsync(first, new Message<Null, string> { Value = "first" }, TestContext.Current.CancellationToken);
            await producer.ProduceAsync(second, new Message<Null, string> { Value = "second" }, TestContext.Current.CancellationToken);
        }

        var config = new ConsumerConfig { BootstrapServers = fixture.BootstrapServers, GroupId = BrokerFixture.NewGroup(), AutoOffsetReset = AutoOffsetReset.Earliest };
        using var a = new ConsumerBuilder<Null, string>(config).Build();
        a.Subscribe(first);
        var fromFirst = a.Consume(TimeSpan.FromMilliseconds(500)); // the application starts its second consumer a moment later
        using var b = new ConsumerBuilder<Null, string>(config).Build();
        b.Subscribe(second);

        fromFirst ??= BrokerFixture.ConsumeCount(a, 1, TimeSpan.FromSeconds(30)).Single();
        Assert.Equal("first", fromFirst.Message.Value);
        var watch = Stopwatch.StartNew();
        Assert.Equal("second", BrokerFixture.ConsumeCount(b, 1, TimeSpan.FromSeconds(30)).Single().Message.Value);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"The second member took {watch.Elapsed} after the first.");
        b.Close();
        a.Close();
    }
}
