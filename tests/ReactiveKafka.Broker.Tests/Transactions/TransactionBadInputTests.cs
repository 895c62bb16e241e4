using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol.Messages;
using ReactiveKafka.Protocol.Records;
using Xunit;
using KafkaError = ReactiveKafka.Protocol.ErrorCode;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>
/// Transactional requests a client should not send, over a raw connection: each gets Kafka's error code, nothing is
/// written, and the broker keeps serving (a real transactional producer still commits afterwards).
/// </summary>
public sealed class TransactionBadInputTests(TransactionsFixture fixture) : IClassFixture<TransactionsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version)
        where TRequest : ReactiveKafka.Protocol.IKafkaApiMessage<TRequest>
        where TResponse : class, ReactiveKafka.Protocol.IKafkaApiMessage<TResponse>
    {
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (frame, id) = connection.Frame(request, version);
        await connection.SendAsync(Ct, frame);
        return await connection.ReceiveAsync<TResponse>(id, version, Ct);
    }

    private Task<InitProducerIdResponse> InitAsync(string transactionalId, int timeoutMs = 60_000) =>
        SendAsync<InitProducerIdRequest, InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = transactionalId, TransactionTimeoutMs = timeoutMs }, 4);

    private Task<AddPartitionsToTxnResponse> AddPartitionAsync(string transactionalId, long producerId, short epoch, string topic, int partition = 0) =>
        SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(new AddPartitionsToTxnRequest
        {
            V3AndBelowTransactionalId = transactionalId,
            V3AndBelowProducerId = producerId,
            V3AndBelowProducerEpoch = epoch,
            V3AndBelowTopics = [new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = topic, Partitions = [partition] }],
        }, 3);

    private static KafkaError[] PartitionErrors(AddPartitionsToTxnResponse response) =>
        [.. response.ResultsByTopicV3AndBelow.SelectMany(t => t.ResultsByPartition).Select(p => (KafkaError)p.PartitionErrorCode)];

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(15 * 60 * 1000 + 1)]
    public async Task InitProducerId_AbsurdTimeout_InvalidTransactionTimeout(int timeoutMs)
    {
        var response = await InitAsync(BrokerFixture.NewTopic("txn"), timeoutMs);

        Assert.Equal((KafkaError.InvalidTransactionTimeout, -1L, (short)-1), ((KafkaError)response.ErrorCode, response.ProducerId, response.ProducerEpoch));
    }

    [Fact]
    public async Task InitProducerId_EmptyTransactionalId_InvalidRequest()
    {
        Assert.Equal(KafkaError.InvalidRequest, (KafkaError)(await InitAsync("")).ErrorCode);
    }

    [Fact]
    public async Task EndTxnAndAddOffsets_UnknownTransactionalId_InvalidProducerIdMapping()
    {
        var end = await SendAsync<EndTxnRequest, EndTxnResponse>(new EndTxnRequest { TransactionalId = "never-initialised", ProducerId = 5, ProducerEpoch = 0, Committed = true }, 3);
        var offsets = await SendAsync<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(new AddOffsetsToTxnRequest { TransactionalId = "never-initialised", ProducerId = 5, ProducerEpoch = 0, GroupId = "g" }, 3);

        Assert.Equal(KafkaError.InvalidProducerIdMapping, (KafkaError)end.ErrorCode);
        Assert.Equal(KafkaError.InvalidProducerIdMapping, (KafkaError)offsets.ErrorCode);
    }

    [Fact]
    public async Task AddPartitions_WrongEpochOtherProducerIdUnknownTopic_KafkaCodesAndNoTransactionStarts()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var transactionalId = BrokerFixture.NewTopic("txn");
        var producer = await InitAsync(transactionalId);

        Assert.Equal([KafkaError.ProducerFenced], PartitionErrors(await AddPartitionAsync(transactionalId, producer.ProducerId, (short)(producer.ProducerEpoch + 3), topic)));
        Assert.Equal([KafkaError.InvalidProducerIdMapping], PartitionErrors(await AddPartitionAsync(transactionalId, producer.ProducerId + 1, producer.ProducerEpoch, topic)));
        var mixed = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(new AddPartitionsToTxnRequest
        {
            V3AndBelowTransactionalId = transactionalId,
            V3AndBelowProducerId = producer.ProducerId,
            V3AndBelowProducerEpoch = producer.ProducerEpoch,
            V3AndBelowTopics =
            [
                new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = topic, Partitions = [0, 9] },
                new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = "no-such-topic", Partitions = [0] },
            ],
        }, 3);

        Assert.Equal([KafkaError.OperationNotAttempted, KafkaError.UnknownTopicOrPartition, KafkaError.UnknownTopicOrPartition], PartitionErrors(mixed));
        Assert.Equal(Broker.Transactions.TransactionState.Empty, fixture.Broker.Transactions().Describe(transactionalId)!.State);
    }

    [Fact]
    public async Task Produce_TransactionalBatchToAPartitionNotInTheTransaction_InvalidTxnStateAndNothingWritten()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 2);
        var transactionalId = BrokerFixture.NewTopic("txn");
        var producer = await InitAsync(transactionalId);
        Assert.Equal([KafkaError.None], PartitionErrors(await AddPartitionAsync(transactionalId, producer.ProducerId, producer.ProducerEpoch, topic, 0)));
        var batch = RecordBatchWriter.WriteToArray(
            new RecordBatchOptions { ProducerId = producer.ProducerId, ProducerEpoch = producer.ProducerEpoch, BaseSequence = 0, IsTransactional = true },
            [new ReactiveKafka.Protocol.Records.Record(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "k"u8.ToArray(), "v"u8.ToArray())]);

        var response = await SendAsync<ProduceRequest, ProduceResponse>(new ProduceRequest
        {
            TransactionalId = transactionalId,
            Acks = -1,
            TimeoutMs = 5000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = 1, Records = batch }] }],
        }, 9);

        Assert.Equal(KafkaError.InvalidTxnState, (KafkaError)response.Responses.Single().PartitionResponses.Single().ErrorCode);
        Assert.Equal(0, fixture.Broker.Partition(topic, 1).LogEndOffset);
    }

    [Fact]
    public async Task TxnOffsetCommit_GroupNotAddedToTheTransaction_InvalidTxnStateAndNoOffsetPending()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var transactionalId = BrokerFixture.NewTopic("txn");
        var group = BrokerFixture.NewGroup();
        var producer = await InitAsync(transactionalId);
        await AddPartitionAsync(transactionalId, producer.ProducerId, producer.ProducerEpoch, topic);

        var response = await SendAsync<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(new TxnOffsetCommitRequest
        {
            TransactionalId = transactionalId,
            GroupId = group,
            ProducerId = producer.ProducerId,
            ProducerEpoch = producer.ProducerEpoch,
            Topics = [new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic { Name = topic, Partitions = [new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition { PartitionIndex = 0, CommittedOffset = 5 }] }],
        }, 3);

        Assert.Equal(KafkaError.InvalidTxnState, (KafkaError)response.Topics.Single().Partitions.Single().ErrorCode);
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(fixture.ConsumerConfig(group)).Build();
        Assert.Equal(Offset.Unset, consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10)).Single().Offset);
    }

    [Fact]
    public async Task ListAndDescribeTransactions_ShowTheOngoingOneForAdminTools()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 2);
        var transactionalId = BrokerFixture.NewTopic("txn");
        var producer = await InitAsync(transactionalId);
        await AddPartitionAsync(transactionalId, producer.ProducerId, producer.ProducerEpoch, topic, 1);

        var listed = await SendAsync<ListTransactionsRequest, ListTransactionsResponse>(new ListTransactionsRequest { StateFilters = ["Ongoing", "NoSuchState"], ProducerIdFilters = [producer.ProducerId] }, 1);
        var described = await SendAsync<DescribeTransactionsRequest, DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = [transactionalId, "unknown-id", ""] }, 0);

        var entry = Assert.Single(listed.TransactionStates);
        Assert.Equal((transactionalId, producer.ProducerId, "Ongoing"), (entry.TransactionalId, entry.ProducerId, entry.TransactionState));
        Assert.Equal(["NoSuchState"], listed.UnknownStateFilters);
        var state = described.TransactionStates[0];
        Assert.Equal((KafkaError.None, "Ongoing", 60_000, producer.ProducerEpoch), ((KafkaError)state.ErrorCode, state.TransactionState, state.TransactionTimeoutMs, state.ProducerEpoch));
        Assert.Equal((topic, 1), (state.Topics.Single().Topic, state.Topics.Single().Partitions.Single()));
        Assert.True(state.TransactionStartTimeMs > 0);
        Assert.Equal(KafkaError.TransactionalIdNotFound, (KafkaError)described.TransactionStates[1].ErrorCode);
        Assert.Equal(KafkaError.InvalidRequest, (KafkaError)described.TransactionStates[2].ErrorCode);
    }

    [Fact]
    public async Task AfterBadInput_ARealTransactionalProducerStillCommits()
    {
        await EndTxnAndAddOffsets_UnknownTransactionalId_InvalidProducerIdMapping();
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var config = fixture.ProducerConfig();
        config.TransactionalId = BrokerFixture.NewTopic("txn");
        using var producer = new ProducerBuilder<string, string>(config).Build();

        producer.InitTransactions(TimeSpan.FromSeconds(20));
        producer.BeginTransaction();
        producer.Produce(topic, new Message<string, string> { Key = "k", Value = "v" });
        producer.CommitTransaction(TimeSpan.FromSeconds(20));

        // EndTxn answers once the decision is durable; the COMMIT marker follows in the background.
        await BrokerWait.UntilAsync(() => fixture.Broker.Partition(topic, 0).LogEndOffset >= 2, "the COMMIT marker is written");
        Assert.Equal(2, fixture.Broker.Partition(topic, 0).LogEndOffset);
    }
}
