using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Broker.Transactions;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>A broker whose coordinator looks for timed-out transactions every 100 ms (Kafka: 10 s).</summary>
public sealed class TransactionsFixture : BrokerFixture
{
    protected override BrokerOptions Configure(BrokerOptions options) => options with { TransactionAbortTimedOutInterval = TimeSpan.FromMilliseconds(100) };
}

/// <summary>Confluent.Kafka's transactional producer against the bundled broker, over TCP.</summary>
public sealed class TransactionalProducerTests(TransactionsFixture fixture) : IClassFixture<TransactionsFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IProducer<string, string> NewProducer(string transactionalId, int? transactionTimeoutMs = null)
    {
        var config = fixture.ProducerConfig();
        config.TransactionalId = transactionalId;
        config.TransactionTimeoutMs = transactionTimeoutMs;
        if (transactionTimeoutMs is { } timeout)
        {
            config.MessageTimeoutMs = Math.Min(config.MessageTimeoutMs ?? timeout, timeout); // librdkafka requires message.timeout.ms <= transaction.timeout.ms
        }
        return new ProducerBuilder<string, string>(config).Build();
    }

    private IConsumer<string, string> NewConsumer(IsolationLevel isolation, string? group = null)
    {
        var config = fixture.ConsumerConfig(group);
        config.IsolationLevel = isolation;
        return new ConsumerBuilder<string, string>(config).Build();
    }

    private static void ProduceAll(IProducer<string, string> producer, string topic, int partitions, IEnumerable<string> values)
    {
        var i = 0;
        foreach (var value in values)
        {
            producer.Produce(new TopicPartition(topic, i++ % partitions), new Message<string, string> { Key = value, Value = value });
        }

        producer.Flush(Timeout);
    }

    private long HighWatermark(string topic, int partition)
    {
        using var consumer = NewConsumer(IsolationLevel.ReadUncommitted);
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), Timeout).High.Value;
    }

    /// <summary>
    /// Waits for the high watermark to reach <paramref name="expected"/> and checks it is not passed: EndTxn answers once
    /// the decision is durable, and the markers follow in the background (as in Kafka).
    /// </summary>
    private async Task AssertHighWatermarkAsync(long expected, string topic, int partition)
    {
        await BrokerWait.UntilAsync(() => HighWatermark(topic, partition) >= expected, $"{topic}-{partition} reaches {expected}", Timeout);
        Assert.Equal(expected, HighWatermark(topic, partition));
    }

    [Fact]
    public async Task Commit_RecordsVisibleAndEachPartitionGetsOneCommitMarker()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 2);
        using var producer = NewProducer(BrokerFixture.NewTopic("txn"));
        producer.InitTransactions(Timeout);

        producer.BeginTransaction();
        ProduceAll(producer, topic, 2, Enumerable.Range(0, 10).Select(i => $"v{i}"));
        producer.CommitTransaction(Timeout);

        using var consumer = NewConsumer(IsolationLevel.ReadCommitted);
        consumer.Assign([new TopicPartitionOffset(topic, 0, 0), new TopicPartitionOffset(topic, 1, 0)]);
        var records = BrokerFixture.ConsumeCount(consumer, 10, Timeout);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v{i}").Order(), records.Select(r => r.Message.Value).Order());
        await AssertHighWatermarkAsync(6, topic, 0); // 5 records and the marker each
        await AssertHighWatermarkAsync(6, topic, 1);
    }

    [Fact]
    public async Task AbortThenCommit_MarkersFollowEachTransactionAndTheCoordinatorEndsCompleteCommit()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var transactionalId = BrokerFixture.NewTopic("txn");
        using var producer = NewProducer(transactionalId);
        producer.InitTransactions(Timeout);

        producer.BeginTransaction();
        ProduceAll(producer, topic, 1, ["aborted-1", "aborted-2", "aborted-3"]);
        producer.AbortTransaction(Timeout);
        await BrokerWait.UntilAsync(() => fixture.Broker.Transactions().Describe(transactionalId)!.State == TransactionState.CompleteAbort, "the abort completes after EndTxn answered");
        producer.BeginTransaction();
        ProduceAll(producer, topic, 1, ["kept-1", "kept-2"]);
        producer.CommitTransaction(Timeout);

        await AssertHighWatermarkAsync(3 + 1 + 2 + 1, topic, 0);
        await BrokerWait.UntilAsync(() => fixture.Broker.Transactions().Describe(transactionalId)!.State == TransactionState.CompleteCommit, "the commit completes after EndTxn answered");
        using var consumer = NewConsumer(IsolationLevel.ReadUncommitted);
        consumer.Assign([new TopicPartitionOffset(topic, 0, 0)]);
        var records = BrokerFixture.ConsumeCount(consumer, 5, Timeout);
        Assert.Equal([0L, 1, 2, 4, 5], records.Select(r => r.Offset.Value)); // offset 3 is the ABORT marker, hidden by the client
        Assert.Equal(["kept-1", "kept-2"], ReadCommitted(topic, 0, 7));
    }

    /// <summary>What a read_committed consumer reads of a partition up to <paramref name="endOffset"/> (its position passes the markers too).</summary>
    private List<string> ReadCommitted(string topic, int partition, long endOffset)
    {
        using var consumer = NewConsumer(IsolationLevel.ReadCommitted);
        consumer.Assign([new TopicPartitionOffset(topic, partition, 0)]);
        var values = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (consumer.Position(new TopicPartition(topic, partition)).Value < endOffset && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                values.Add(result.Message.Value);
            }
        }

        Assert.True(consumer.Position(new TopicPartition(topic, partition)).Value >= endOffset, $"The read_committed consumer did not reach offset {endOffset}.");
        return values;
    }

    [Fact]
    public async Task Zombie_SecondProducerWithTheSameId_FencesTheFirstWhoseCommitFails()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var transactionalId = BrokerFixture.NewTopic("txn");
        using var zombie = NewProducer(transactionalId);
        zombie.InitTransactions(Timeout);
        zombie.BeginTransaction();
        ProduceAll(zombie, topic, 1, ["zombie"]);
        var zombieEpoch = fixture.Broker.Transactions().Describe(transactionalId)!.ProducerEpoch;

        using var successor = NewProducer(transactionalId);
        successor.InitTransactions(Timeout);

        var fenced = Assert.ThrowsAny<KafkaException>(() => zombie.CommitTransaction(Timeout));
        Assert.True(fenced.Error.IsFatal || fenced.Error.Code is ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch, fenced.Error.ToString());
        var current = fixture.Broker.Transactions().Describe(transactionalId)!;
        Assert.Equal(zombieEpoch + 2, current.ProducerEpoch); // one bump to abort the zombie's transaction, one for the successor
        successor.BeginTransaction();
        ProduceAll(successor, topic, 1, ["successor"]);
        successor.CommitTransaction(Timeout);
        await AssertHighWatermarkAsync(1 + 1 + 1 + 1, topic, 0); // zombie record, its ABORT, successor record, COMMIT
        Assert.Equal(["successor"], ReadCommitted(topic, 0, 4));
    }

    [Fact]
    public async Task Timeout_TransactionLeftOpen_IsAbortedByTheBrokerAndItsCommitFails()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        var transactionalId = BrokerFixture.NewTopic("txn");
        using var producer = NewProducer(transactionalId, transactionTimeoutMs: 1500);
        producer.InitTransactions(Timeout);
        producer.BeginTransaction();
        ProduceAll(producer, topic, 1, ["late"]);

        await BrokerWait.UntilAsync(() => fixture.Broker.Transactions().Describe(transactionalId)?.State == TransactionState.CompleteAbort, "the broker aborts the timed-out transaction", Timeout);

        Assert.ThrowsAny<KafkaException>(() => producer.CommitTransaction(Timeout));
        Assert.Equal(2, HighWatermark(topic, 0)); // the record and the coordinator's ABORT marker
        Assert.Empty(ReadCommitted(topic, 0, 2));
    }

    [Fact]
    public async Task ReadCommitted_OpenTransactionHoldsTheConsumerAtItsFirstOffsetUntilCommitted()
    {
        var topic = BrokerFixture.NewTopic();
        await fixture.CreateTopicAsync(topic, 1);
        using var plain = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build();
        await plain.ProduceAsync(topic, new Message<string, string> { Key = "before", Value = "before" }, Ct);
        using var producer = NewProducer(BrokerFixture.NewTopic("txn"));
        producer.InitTransactions(Timeout);
        producer.BeginTransaction();
        ProduceAll(producer, topic, 1, ["open-1", "open-2"]);
        using var consumer = NewConsumer(IsolationLevel.ReadCommitted);
        consumer.Assign([new TopicPartitionOffset(topic, 0, 0)]);

        var visible = BrokerFixture.ConsumeCount(consumer, 1, Timeout);
        var early = consumer.Consume(TimeSpan.FromMilliseconds(500));
        producer.CommitTransaction(Timeout);
        var later = BrokerFixture.ConsumeCount(consumer, 2, Timeout);

        Assert.Equal("before", visible.Single().Message.Value);
        Assert.True(early is null || early.IsPartitionEOF, $"read_committed returned {early?.Message?.Value} of an open transaction");
        Assert.Equal(["open-1", "open-2"], later.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task SendOffsetsToTransaction_VisibleAfterCommitAndNotAfterAbort()
    {
        var input = BrokerFixture.NewTopic("in");
        var output = BrokerFixture.NewTopic("out");
        await fixture.CreateTopicAsync(input, 1);
        await fixture.CreateTopicAsync(output, 1);
        var committedGroup = BrokerFixture.NewGroup();
        var abortedGroup = BrokerFixture.NewGroup();
        using var producer = NewProducer(BrokerFixture.NewTopic("txn"));
        producer.InitTransactions(Timeout);

        using (var committing = NewConsumer(IsolationLevel.ReadCommitted, committedGroup))
        {
            producer.BeginTransaction();
            ProduceAll(producer, output, 1, ["out-1"]);
            producer.SendOffsetsToTransaction([new TopicPartitionOffset(input, 0, 42)], committing.ConsumerGroupMetadata, Timeout);
            producer.CommitTransaction(Timeout);
        }

        using (var aborting = NewConsumer(IsolationLevel.ReadCommitted, abortedGroup))
        {
            producer.BeginTransaction();
            ProduceAll(producer, output, 1, ["out-2"]);
            producer.SendOffsetsToTransaction([new TopicPartitionOffset(input, 0, 7)], aborting.ConsumerGroupMetadata, Timeout);
            producer.AbortTransaction(Timeout);
        }

        using var check = NewConsumer(IsolationLevel.ReadCommitted, committedGroup);
        Assert.Equal(42, check.Committed([new TopicPartition(input, 0)], Timeout).Single().Offset.Value);
        using var checkAborted = NewConsumer(IsolationLevel.ReadCommitted, abortedGroup);
        Assert.Equal(Offset.Unset, checkAborted.Committed([new TopicPartition(input, 0)], Timeout).Single().Offset);
    }

    [Fact]
    public void InitTransactions_TimeoutAboveTheBrokersMaximum_FailsWithInvalidTransactionTimeout()
    {
        using var producer = NewProducer(BrokerFixture.NewTopic("txn"), transactionTimeoutMs: (int)TimeSpan.FromMinutes(16).TotalMilliseconds);

        var error = Assert.ThrowsAny<KafkaException>(() => producer.InitTransactions(Timeout));

        Assert.Equal(ErrorCode.InvalidTransactionTimeout, error.Error.Code);
    }
}
