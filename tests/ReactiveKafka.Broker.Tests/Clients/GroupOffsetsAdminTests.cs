using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>Committed offsets as admin tools and consumers set, read and delete them (issue 13, items 2–4).</summary>
public sealed class GroupOffsetsAdminTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Commit_BeyondLogEnd_AcceptedAndNextConsumerResetsToEarliest()
    {
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 1);
        var partition = new TopicPartition(topic, 0);
        await ProduceAsync(topic, 3);

        using (var committer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig(group)).Build())
        {
            // Kafka accepts any offset; this used to be OFFSET_OUT_OF_RANGE, which the Java client treats as fatal.
            committer.Commit([new TopicPartitionOffset(partition, 1000)]);
            Assert.Equal(1000, committer.Committed([partition], Timeout).Single().Offset.Value);
        }

        // The committed position is beyond the end: the fetch gets OFFSET_OUT_OF_RANGE and the reset policy applies.
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig(group)).Build();
        consumer.Subscribe(topic);
        var records = BrokerFixture.ConsumeCount(consumer, 3, TimeSpan.FromSeconds(30));
        Assert.Equal([0L, 1L, 2L], records.Select(r => r.Offset.Value));
        consumer.Close();
    }

    [Fact]
    public async Task AlterConsumerGroupOffsets_NewGroup_AnsweredAtOnceAndListReadsBackWhatWasSet()
    {
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 2);
        await ProduceAsync(topic, 4, partition: 0);
        using var admin = fixture.NewAdmin();

        var watch = Stopwatch.StartNew();
        var altered = await admin.AlterConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitionOffsets(group, [new TopicPartitionOffset(topic, 0, 3), new TopicPartitionOffset(topic, 1, 50)])],
            new AlterConsumerGroupOffsetsOptions { RequestTimeout = Timeout });
        watch.Stop();

        Assert.All(altered.Single().Partitions, p => Assert.Equal(ErrorCode.NoError, p.Error.Code));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Altering offsets of an empty group took {watch.Elapsed}.");
        var listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, null)]);
        Assert.Equal(
            [(0, 3L), (1, 50L)],
            listed.Single().Partitions.OrderBy(p => p.Partition.Value).Select(p => (p.Partition.Value, p.Offset.Value)));
    }

    [Fact]
    public async Task AlterConsumerGroupOffsets_AfterItsConsumerLeft_Succeeds()
    {
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 1);
        await ProduceAsync(topic, 5);
        using (var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig(group)).Build())
        {
            consumer.Subscribe(topic);
            BrokerFixture.ConsumeCount(consumer, 5, TimeSpan.FromSeconds(30));
            consumer.Commit();
            consumer.Close();
        }

        using var admin = fixture.NewAdmin();
        await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, [new TopicPartitionOffset(topic, 0, 1)])]);

        var listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [new TopicPartition(topic, 0)])]);
        Assert.Equal(1, listed.Single().Partitions.Single().Offset.Value);
    }

    [Fact]
    public async Task DeleteConsumerGroupOffsets_EmptyGroup_RemovesOnlyThoseOffsets()
    {
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 2);
        using var admin = fixture.NewAdmin();
        await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, [new TopicPartitionOffset(topic, 0, 5), new TopicPartitionOffset(topic, 1, 6)])]);

        var deleted = await admin.DeleteConsumerGroupOffsetsAsync(group, [new TopicPartition(topic, 0)]);

        Assert.Equal(group, deleted.Group);
        Assert.Equal([new TopicPartition(topic, 0)], deleted.Partitions);
        var listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, null)]);
        Assert.Equal([(1, 6L)], listed.Single().Partitions.Select(p => (p.Partition.Value, p.Offset.Value)));
    }

    [Fact]
    public async Task DeleteConsumerGroupOffsets_TopicItsActiveConsumerSubscribes_GroupSubscribedToTopic()
    {
        var subscribed = BrokerFixture.NewTopic();
        var other = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(subscribed, 1);
        await fixture.CreateTopicAsync(other, 1);
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig(group)).Build();
        consumer.Subscribe(subscribed);
        await BrokerFixture.WaitUntilAsync(() => consumer.Consume(TimeSpan.FromMilliseconds(50)) is null && consumer.Assignment.Count == 1, TimeSpan.FromSeconds(30), "the consumer owns its partition");
        consumer.Commit([new TopicPartitionOffset(subscribed, 0, 0), new TopicPartitionOffset(other, 0, 0)]);
        using var admin = fixture.NewAdmin();

        var refused = await Assert.ThrowsAsync<DeleteConsumerGroupOffsetsException>(() =>
            admin.DeleteConsumerGroupOffsetsAsync(group, [new TopicPartition(subscribed, 0)]));
        var deleted = await admin.DeleteConsumerGroupOffsetsAsync(group, [new TopicPartition(other, 0)]);

        Assert.Equal(ErrorCode.GroupSubscribedToTopic, refused.Result.Partitions.Single().Error.Code);
        Assert.Equal([new TopicPartition(other, 0)], deleted.Partitions);
        var listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, null)]);
        Assert.Equal([subscribed], listed.Single().Partitions.Select(p => p.Topic));
        consumer.Close();
    }

    [Fact]
    public async Task DeleteConsumerGroupOffsets_UnknownGroup_GroupIdNotFound()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var admin = fixture.NewAdmin();

        // A group-level error is answered at the top level, which librdkafka raises as the request's error.
        var error = await Assert.ThrowsAsync<KafkaException>(() =>
            admin.DeleteConsumerGroupOffsetsAsync(BrokerFixture.NewGroup(), [new TopicPartition(topic, 0)]));

        Assert.Equal(ErrorCode.GroupIdNotFound, error.Error.Code);
    }

    [Fact]
    public async Task ListConsumerGroups_MatchStates_OnlyGroupsInThoseStates()
    {
        var topic = BrokerFixture.NewTopic();
        var stable = BrokerFixture.NewGroup();
        var empty = BrokerFixture.NewGroup();
        await fixture.CreateTopicAsync(topic, 1);
        using var admin = fixture.NewAdmin();
        await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(empty, [new TopicPartitionOffset(topic, 0, 0)])]);
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig(stable)).Build();
        consumer.Subscribe(topic);
        await BrokerFixture.WaitUntilAsync(() => consumer.Consume(TimeSpan.FromMilliseconds(50)) is null && consumer.Assignment.Count == 1, TimeSpan.FromSeconds(30), "the consumer owns its partition");

        async Task<List<string>> ListAsync(params ConsumerGroupState[] states) =>
            [.. (await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = states })).Valid
                .Select(g => g.GroupId).Where(id => id == stable || id == empty).Order()];

        Assert.Equal([stable], await ListAsync(ConsumerGroupState.Stable));
        Assert.Equal([empty], await ListAsync(ConsumerGroupState.Empty));
        Assert.Equal(new[] { stable, empty }.Order(), await ListAsync(ConsumerGroupState.Stable, ConsumerGroupState.Empty));
        Assert.Empty(await ListAsync(ConsumerGroupState.PreparingRebalance, ConsumerGroupState.CompletingRebalance));
        consumer.Close();
    }

    private async Task ProduceAsync(string topic, int count, int partition = 0)
    {
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = $"v{i}" }, TestContext.Current.CancellationToken);
        }
    }
}
