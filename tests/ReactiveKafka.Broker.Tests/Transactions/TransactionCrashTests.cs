using System.Net;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Broker.Tests.Server;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>
/// The standalone server killed with SIGKILL in the middle of transactions: after a restart a committed transaction
/// stays committed, and an open one is aborted, by the next producer of its id or by its timeout, as Kafka promises.
/// </summary>
public sealed class TransactionCrashTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-txn-crash-" + Guid.NewGuid().ToString("N")[..8]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => BrokerFixture.DeleteDirectory(_dataDirectory);

    private static IProducer<string, string> NewProducer(string bootstrap, string transactionalId, int transactionTimeoutMs = 60_000) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = transactionalId,
            TransactionTimeoutMs = transactionTimeoutMs,
            MessageTimeoutMs = Math.Min(20_000, transactionTimeoutMs),
            LingerMs = 2,
        }).Build();

    private static void ProduceAll(IProducer<string, string> producer, string topic, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, 0), new Message<string, string> { Key = $"{prefix}-{i}", Value = $"{prefix}-{i}" });
        }

        producer.Flush(Timeout);
    }

    private static async Task<DescribeTransactionsResponse.TransactionStateData> DescribeAsync(string bootstrap, string transactionalId)
    {
        var colon = bootstrap.LastIndexOf(':');
        using var connection = await RawKafkaConnection.ConnectAsync(new IPEndPoint(IPAddress.Parse(bootstrap[..colon]), int.Parse(bootstrap[(colon + 1)..])), Ct);
        var (frame, id) = connection.Frame(new DescribeTransactionsRequest { TransactionalIds = [transactionalId] }, 0);
        await connection.SendAsync(Ct, frame);
        return (await connection.ReceiveAsync<DescribeTransactionsResponse>(id, 0, Ct)).TransactionStates.Single();
    }

    private static List<string> ReadAll(string bootstrap, string topic, long highWatermark, IsolationLevel isolation)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = BrokerFixture.NewGroup(), EnableAutoCommit = false, IsolationLevel = isolation }).Build();
        consumer.Assign([new TopicPartitionOffset(topic, 0, 0)]);
        var values = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (consumer.Position(new TopicPartition(topic, 0)).Value < highWatermark && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                values.Add(result.Message.Value);
            }
        }

        return values;
    }

    private static long HighWatermark(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = BrokerFixture.NewGroup() }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).High.Value;
    }

    [Fact]
    public async Task KillMidTransaction_Restart_CommittedStaysAndOpenOnesAreAbortedByTheNextProducerOrTheirTimeout()
    {
        const string topic = "txn-crash";
        const string fencedId = "crash-fenced";
        const string timedOutId = "crash-timed-out";
        using (var server = await ServerProcess.StartAsync(_dataDirectory, "127.0.0.1:0", "--transaction-abort-timed-out-interval-ms", "200"))
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
            }

            using var producer = NewProducer(server.BootstrapServers, fencedId);
            producer.InitTransactions(Timeout);
            producer.BeginTransaction();
            ProduceAll(producer, topic, "committed", 5);
            producer.CommitTransaction(Timeout);
            producer.BeginTransaction();
            ProduceAll(producer, topic, "open", 5);

            using var slow = NewProducer(server.BootstrapServers, timedOutId, transactionTimeoutMs: 4000);
            slow.InitTransactions(Timeout);
            slow.BeginTransaction();
            ProduceAll(slow, topic, "slow", 3);

            server.Kill();
        }

        using (var restarted = await ServerProcess.StartAsync(_dataDirectory, "127.0.0.1:0", "--transaction-abort-timed-out-interval-ms", "200"))
        {
            var bootstrap = restarted.BootstrapServers;
            Assert.Equal("Ongoing", (await DescribeAsync(bootstrap, fencedId)).TransactionState);

            using var successor = NewProducer(bootstrap, fencedId);
            successor.InitTransactions(Timeout);
            Assert.Equal("Empty", (await DescribeAsync(bootstrap, fencedId)).TransactionState);
            await BrokerWait.UntilAsync(() => DescribeAsync(bootstrap, timedOutId).Result.TransactionState == "CompleteAbort", "the open transaction of the slow producer is aborted by its timeout after the restart", Timeout);

            // committed 0-4, COMMIT, open and slow records in produce order, the two ABORT markers.
            var highWatermark = HighWatermark(bootstrap, topic);
            Assert.Equal(5 + 1 + 5 + 3 + 2, highWatermark);
            var everything = ReadAll(bootstrap, topic, highWatermark, IsolationLevel.ReadUncommitted);
            var committed = ReadAll(bootstrap, topic, highWatermark, IsolationLevel.ReadCommitted);
            Assert.Equal(13, everything.Count);
            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"committed-{i}"), committed);
        }
    }

    [Fact]
    public async Task KillRightAfterCommit_RestartCompletesItAndReadCommittedSeesEachRecordOnce()
    {
        const string topic = "txn-crash-after-commit";
        const string transactionalId = "crash-after-commit";
        using (var server = await ServerProcess.StartAsync(_dataDirectory, "127.0.0.1:0"))
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
            }

            using var producer = NewProducer(server.BootstrapServers, transactionalId);
            producer.InitTransactions(Timeout);
            producer.BeginTransaction();
            ProduceAll(producer, topic, "committed", 5);
            producer.CommitTransaction(Timeout);

            // EndTxn answered once PrepareCommit was durable; the marker may or may not be written yet, and the
            // CompleteCommit (deferred by a second) is not: the restart must finish the commit either way.
            server.Kill();
        }

        using (var restarted = await ServerProcess.StartAsync(_dataDirectory, "127.0.0.1:0"))
        {
            var bootstrap = restarted.BootstrapServers;
            await BrokerWait.UntilAsync(() => DescribeAsync(bootstrap, transactionalId).Result.TransactionState == "CompleteCommit", "the commit is completed after the restart", Timeout);
            var highWatermark = HighWatermark(bootstrap, topic);

            // The 5 records and the COMMIT marker, and a second COMMIT when the restart wrote it again (harmless, as
            // after a coordinator failover in Kafka).
            Assert.InRange(highWatermark, 6, 7);
            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"committed-{i}"), ReadAll(bootstrap, topic, highWatermark, IsolationLevel.ReadCommitted));
            Assert.Equal(5, ReadAll(bootstrap, topic, highWatermark, IsolationLevel.ReadUncommitted).Count);

            using var successor = NewProducer(bootstrap, transactionalId);
            successor.InitTransactions(Timeout);
            successor.BeginTransaction();
            ProduceAll(successor, topic, "next", 2);
            successor.CommitTransaction(Timeout);
            await BrokerWait.UntilAsync(() => HighWatermark(bootstrap, topic) == highWatermark + 3, "the next transaction's records and COMMIT marker", Timeout);
            Assert.Equal(
                Enumerable.Range(0, 5).Select(i => $"committed-{i}").Concat(["next-0", "next-1"]),
                ReadAll(bootstrap, topic, highWatermark + 3, IsolationLevel.ReadCommitted));
        }
    }
}
