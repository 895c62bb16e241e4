using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Storage.Producers;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// read_committed consumers (Confluent.Kafka) over transactional data: the partition's transactions are written through
/// the coordinator's seam (<c>PartitionLog.AppendTransactionMarker</c>), the reads go over TCP.
/// </summary>
public sealed class ReadCommittedTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadCommitted_SkipsAbortedRecords_AndStopsAtAnOpenTransaction()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var log = fixture.Broker.Topics.GetPartition(topic, 0)!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        log.Append(ProducerBatches.Idempotent(100, 0, 0, records: 2, transactional: true, timestamp: now, value: "committed-"), now); // 0-1
        log.Append(ProducerBatches.Idempotent(101, 0, 0, records: 3, transactional: true, timestamp: now, value: "aborted-"), now);   // 2-4
        log.AppendTransactionMarker(100, 0, commit: true, coordinatorEpoch: 0);                                                      // 5
        log.AppendTransactionMarker(101, 0, commit: false, coordinatorEpoch: 0);                                                     // 6
        log.Append(TestBatchesFor.Plain("plain", now), now);                                                                        // 7
        log.Append(ProducerBatches.Idempotent(102, 0, 0, records: 1, transactional: true, timestamp: now, value: "open"), now);       // 8
        log.Append(TestBatchesFor.Plain("after-open", now), now);                                                                   // 9

        var committed = Consume(topic, IsolationLevel.ReadCommitted, 3);
        var uncommitted = Consume(topic, IsolationLevel.ReadUncommitted, 8);

        Assert.Equal(["committed-0", "committed-1", "plain"], committed);
        Assert.Equal(["committed-0", "committed-1", "aborted-0", "aborted-1", "aborted-2", "plain", "open", "after-open"], uncommitted);

        using var admin = fixture.NewAdmin();
        var latest = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(topic, 0), OffsetSpec = OffsetSpec.Latest() }],
            new ListOffsetsOptions { IsolationLevel = IsolationLevel.ReadCommitted });
        Assert.Equal(8, latest.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value);

        log.AppendTransactionMarker(102, 0, commit: true, coordinatorEpoch: 0); // 10
        Assert.Equal(["committed-0", "committed-1", "plain", "open", "after-open"], Consume(topic, IsolationLevel.ReadCommitted, 5));
    }

    [Fact]
    public async Task DescribeProducers_ListsTheOpenTransaction()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var log = fixture.Broker.Topics.GetPartition(topic, 0)!;
        log.Append(ProducerBatches.Idempotent(200, 3, 0, records: 2, transactional: true), 0);

        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (frame, id) = connection.Frame(new DescribeProducersRequest
        {
            Topics = [new DescribeProducersRequest.TopicRequest { Name = topic, PartitionIndexes = [0, 7] }],
        }, 0);
        await connection.SendAsync(Ct, frame);
        var response = await connection.ReceiveAsync<DescribeProducersResponse>(id, 0, Ct);

        var partitions = Assert.Single(response.Topics).Partitions;
        var producer = Assert.Single(partitions[0].ActiveProducers);
        Assert.Equal((200L, 3, 1, 0L), (producer.ProducerId, producer.ProducerEpoch, producer.LastSequence, producer.CurrentTxnStartOffset));
        Assert.Equal((short)Protocol.ErrorCode.UnknownTopicOrPartition, partitions[1].ErrorCode);
    }

    private List<string> Consume(string topic, IsolationLevel isolation, int count)
    {
        var config = fixture.ConsumerConfig();
        config.IsolationLevel = isolation;
        using var consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        var values = BrokerFixture.ConsumeCount(consumer, count, TimeSpan.FromSeconds(20)).Select(r => r.Message.Value).ToList();
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(500))); // nothing beyond what is expected
        return values;
    }

    private static class TestBatchesFor
    {
        public static byte[] Plain(string value, long timestamp) =>
            new Protocol.Records.RecordBatchBuilder().Append(timestamp, null, System.Text.Encoding.UTF8.GetBytes(value)).ToArray();
    }
}
