using Confluent.Kafka;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>Helpers of the transaction tests: transactional senders, exactly-once receivers, reading a topic back by isolation level.</summary>
internal static class TransactionTestKit
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public static SenderOptions<string, string> TransactionalOptions(string bootstrapServers, string? transactionalId = null) =>
        new(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5 })
        {
            TransactionalId = transactionalId ?? "tx-" + Guid.NewGuid().ToString("N"),
            TransactionOperationTimeout = TimeSpan.FromSeconds(20),
        };

    /// <summary>
    /// Waits until no transaction is open on <paramref name="topic"/>: each partition's last stable offset (the end a
    /// read_committed consumer sees) has reached its high watermark. A member killed mid-transaction holds the last
    /// stable offset until the coordinator aborts its transaction (its timeout) or a successor fences it.
    /// </summary>
    public static async Task WaitUntilStable(string bootstrapServers, string topic, int partitions, TimeSpan timeout)
    {
        IConsumer<byte[], byte[]> Consumer(IsolationLevel isolation) => new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "stable-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = isolation,
        }).Build();
        using var committed = Consumer(IsolationLevel.ReadCommitted);
        using var uncommitted = Consumer(IsolationLevel.ReadUncommitted);
        string Ends() => string.Join(", ", Enumerable.Range(0, partitions).Select(p =>
        {
            var partition = new TopicPartition(topic, p);
            return $"{committed.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value}/{uncommitted.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value}";
        }));
        bool Stable() => Enumerable.Range(0, partitions).All(p =>
        {
            var partition = new TopicPartition(topic, p);
            return committed.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High == uncommitted.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High;
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Stable())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout} for {topic}'s open transactions to end (last stable offset/high watermark per partition: {Ends()}).");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Every record of <paramref name="topic"/>'s partitions, read from the beginning to the end that
    /// <paramref name="isolation"/> sees (the last stable offset for read_committed).
    /// </summary>
    public static List<ConsumeResult<string, string>> ReadAll(string bootstrapServers, string topic, int partitions, IsolationLevel isolation)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "read-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = isolation,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, string>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow + TestTimeout;
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Read {records.Count} records of {topic}; {atEnd.Count} of {partitions} partitions reached their end.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
            }
            else
            {
                atEnd.Remove(result.Partition.Value);
                records.Add(result);
            }
        }

        return records;
    }
}
