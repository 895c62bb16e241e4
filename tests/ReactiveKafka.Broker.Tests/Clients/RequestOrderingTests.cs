using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// Kafka's per-connection ordering: a request is processed after the earlier requests of its connection, so what a
/// request changed is seen by the next one on the same socket. Only a produce's durability wait and a fetch's long
/// poll (whose state change, if any, is done before they wait) may overlap later requests.
/// </summary>
public sealed class RequestOrderingTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OffsetCommitThenOffsetFetch_PipelinedOnOneSocket_FetchSeesEveryCommit()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        await ProduceAsync(topic, 10);
        var group = BrokerFixture.NewGroup();
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);

        // The commit's store write is an fsync on another thread: the fetch right behind it must wait for it.
        for (var offset = 1L; offset <= 10; offset++)
        {
            var (commit, commitId) = connection.Frame(Commit(group, topic, offset), 7);
            var (fetch, fetchId) = connection.Frame(new OffsetFetchRequest
            {
                GroupId = group,
                Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic, PartitionIndexes = [0] }],
            }, 7);
            await connection.SendAsync(Ct, commit, fetch);

            var committed = await connection.ReceiveAsync<OffsetCommitResponse>(commitId, 7, Ct);
            Assert.Equal(0, committed.Topics.Single().Partitions.Single().ErrorCode);
            var fetched = await connection.ReceiveAsync<OffsetFetchResponse>(fetchId, 7, Ct);
            Assert.Equal(offset, fetched.Topics.Single().Partitions.Single().CommittedOffset);
        }
    }

    [Fact]
    public async Task DeleteTopicsThenMetadata_PipelinedOnOneSocket_MetadataNoLongerListsThem()
    {
        var topics = new[] { BrokerFixture.NewTopic(), BrokerFixture.NewTopic(), BrokerFixture.NewTopic() };
        foreach (var topic in topics)
        {
            await fixture.CreateTopicAsync(topic, 1);
        }

        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (delete, deleteId) = connection.Frame(new DeleteTopicsRequest { TopicNames = [.. topics], TimeoutMs = 30_000 }, 4);
        var (metadata, metadataId) = connection.Frame(new MetadataRequest
        {
            Topics = [.. topics.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t })],
            AllowAutoTopicCreation = false,
        }, 7);
        await connection.SendAsync(Ct, delete, metadata);

        var deleted = await connection.ReceiveAsync<DeleteTopicsResponse>(deleteId, 4, Ct);
        Assert.All(deleted.Responses, r => Assert.Equal(0, r.ErrorCode));
        var described = await connection.ReceiveAsync<MetadataResponse>(metadataId, 7, Ct);
        Assert.All(described.Topics, t => Assert.Equal((short)ReactiveKafka.Protocol.ErrorCode.UnknownTopicOrPartition, t.ErrorCode));
    }

    [Fact]
    public async Task LongPollFetchThenProduce_PipelinedOnOneSocket_ProduceIsServedAndWakesTheFetch()
    {
        // A parked fetch only waits for data: the produce behind it on the same connection is served at once
        // (as Kafka's purgatory does), and its records end the fetch's wait long before MaxWaitMs.
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (fetch, fetchId) = connection.Frame(new FetchRequest
        {
            MaxWaitMs = 20_000,
            MinBytes = 1,
            Topics = [new FetchRequest.FetchTopic { Topic = topic, Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }] }],
        }, 11);
        var (produce, produceId) = connection.Frame(new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 30_000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = TestBatches.Create(3) }] }],
        }, 7);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync(Ct, fetch, produce);

        var fetched = await connection.ReceiveAsync<FetchResponse>(fetchId, 11, Ct);
        var elapsed = clock.Elapsed;
        var produced = await connection.ReceiveAsync<ProduceResponse>(produceId, 7, Ct);

        Assert.Equal(0, produced.Responses.Single().PartitionResponses.Single().ErrorCode);
        var partition = fetched.Responses.Single().Partitions.Single();
        Assert.Equal(0, partition.ErrorCode);
        Assert.True(partition.Records is { Length: > 0 }, "The fetch ended without the records produced behind it.");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"The fetch waited {elapsed.TotalSeconds:0.0} s: the produce behind it was held back.");
    }

    [Fact]
    public async Task AcksAllProducesThenListOffsets_PipelinedOnOneSocket_ListOffsetsSeesTheirEnd()
    {
        // The produces overlap each other (only their fsync waits run on), but the ListOffsets behind them is processed
        // once they are done, as Kafka would: the high watermark their fsync moved is what it reports.
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        for (var round = 1; round <= 5; round++)
        {
            var frames = new List<byte[]>();
            var produceIds = new List<int>();
            for (var i = 0; i < 3; i++)
            {
                var (produce, id) = connection.Frame(new ProduceRequest
                {
                    Acks = -1,
                    TimeoutMs = 30_000,
                    TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = TestBatches.Create(2) }] }],
                }, 7);
                frames.Add(produce);
                produceIds.Add(id);
            }

            var (list, listId) = connection.Frame(new ListOffsetsRequest
            {
                ReplicaId = -1,
                Topics = [new ListOffsetsRequest.ListOffsetsTopic { Name = topic, Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -1 }] }],
            }, 5);
            await connection.SendAsync(Ct, [.. frames, list]);

            foreach (var id in produceIds)
            {
                Assert.Equal(0, (await connection.ReceiveAsync<ProduceResponse>(id, 7, Ct)).Responses.Single().PartitionResponses.Single().ErrorCode);
            }

            var latest = (await connection.ReceiveAsync<ListOffsetsResponse>(listId, 5, Ct)).Topics.Single().Partitions.Single();
            Assert.Equal(0, latest.ErrorCode);
            Assert.Equal(round * 6L, latest.Offset);
        }
    }

    [Fact]
    public async Task IncrementalAlterConfigsThenDescribeConfigs_ConfluentAdminWithoutWaiting_DescribeSeesTheChange()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var admin = fixture.NewAdmin();
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };

        // Awaited once first: until it knows the controller, librdkafka queues admin requests and may send the second
        // before the first (seen on this broker's wire: DescribeConfigs with the lower correlation id). Ordering after
        // that is the broker's to keep.
        await admin.DescribeConfigsAsync([resource]);
        for (var i = 1; i <= 10; i++)
        {
            // retention.ms rather than the flush.ms: how flush.ms is reported under the durable flush policy is
            // a question of DescribeConfigs' content, not of ordering.
            var value = (60_000 * i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var alter = admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [resource] = [new ConfigEntry { Name = "retention.ms", Value = value, IncrementalOperation = AlterConfigOpType.Set }],
            });
            var describe = admin.DescribeConfigsAsync([resource]);

            await alter;
            var described = (await describe).Single();
            Assert.Equal(value, described.Entries["retention.ms"].Value);
        }
    }

    [Fact]
    public async Task AlterConsumerGroupOffsetsThenList_ConfluentAdminWithoutWaiting_ListSeesTheOffsets()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        await ProduceAsync(topic, 10);
        var group = BrokerFixture.NewGroup();
        using var admin = fixture.NewAdmin();
        var partition = new TopicPartition(topic, 0);

        // Awaited once first, so that librdkafka knows the coordinator and sends the pairs below in call order.
        await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [partition])]);
        for (var offset = 1L; offset <= 10; offset++)
        {
            var alter = admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group, [new TopicPartitionOffset(partition, offset)])]);
            var list = admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [partition])]);

            await alter;
            var listed = (await list).Single().Partitions.Single();
            Assert.Equal(offset, listed.Offset.Value);
        }
    }

    // Records to commit offsets within: only the log's offsets are at stake here, not commits beyond its end.
    private async Task ProduceAsync(string topic, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"r{i}" }, Ct);
        }
    }

    private static OffsetCommitRequest Commit(string group, string topic, long offset) => new()
    {
        GroupId = group,
        GenerationIdOrMemberEpoch = -1,
        MemberId = "",
        Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
        {
            Name = topic,
            Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = 0, CommittedOffset = offset }],
        }],
    };
}
