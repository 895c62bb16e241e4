using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Helpers of the receiver tests: consumer settings for quick groups, a raw producer, condition waits.</summary>
internal static class ReceiverTestKit
{
    public static ConsumerConfig ConsumerConfig(BundledBrokerFixture broker, string? group = null) => ConsumerConfig(broker.BootstrapServers, group);

    public static ConsumerConfig ConsumerConfig(string bootstrapServers, string? group = null) => new(new Dictionary<string, string> { ["fetch.queue.backoff.ms"] = "10", ["fetch.error.backoff.ms"] = "10" })
    {
        BootstrapServers = bootstrapServers,
        GroupId = group ?? "group-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        MaxPollIntervalMs = 10_000,
        // Short rejoin waits keep rebalances fast on the test broker.
        TopicMetadataRefreshIntervalMs = 1000,
    };

    public static ReceiverOptions<string, string> Options(BundledBrokerFixture broker, string topic, string? group = null) =>
        new(ConsumerConfig(broker, group)) { Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(200) };

    /// <summary>Writes <paramref name="count"/> records "k{i}"/"v{i}", round robin over the partitions, and waits for all.</summary>
    public static void Produce(BundledBrokerFixture broker, string topic, int count, int partitions = 1, int start = 0) =>
        Produce(broker.BootstrapServers, topic, count, partitions, start);

    /// <summary>
    /// As the other overload, against any bootstrap servers. <paramref name="recordsPerBatch"/> caps each partition's
    /// batches: small batches with a small <c>max.partition.fetch.bytes</c> make a consumer's fetches interleave the
    /// partitions instead of handing over one partition's whole backlog at a time.
    /// </summary>
    public static void Produce(string bootstrapServers, string topic, int count, int partitions = 1, int start = 0, int recordsPerBatch = 10_000)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            LingerMs = 5,
            BatchNumMessages = recordsPerBatch,
            QueueBufferingMaxMessages = 1_000_000,
        }).Build();
        Exception? failure = null;
        for (var i = start; i < start + count; i++)
        {
            producer.Produce(new TopicPartition(topic, i % partitions), new Message<string, string> { Key = "k" + i, Value = "v" + i }, report =>
            {
                if (report.Error.IsError)
                {
                    failure ??= new KafkaException(report.Error);
                }
            });
        }

        producer.Flush(TimeSpan.FromSeconds(60));
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Writes raw bytes as one record's value.</summary>
    public static void ProduceRaw(BundledBrokerFixture broker, string topic, byte[] value)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("raw"), Value = value });
        producer.Flush(TimeSpan.FromSeconds(10));
    }

    /// <summary>The group's committed offsets of <paramref name="topic"/>'s partitions (-1 when none).</summary>
    public static long[] Committed(BundledBrokerFixture broker, string group, string topic, int partitions = 1) =>
        CommittedOffsets(broker.BootstrapServers, group, topic, partitions);

    /// <summary>As <see cref="Committed"/>, against any bootstrap servers.</summary>
    public static long[] CommittedOffsets(string bootstrapServers, string group, string topic, int partitions = 1)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = group,
        }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .Select(o => o.Offset.Value)
            .ToArray();
    }

    /// <summary>
    /// The sum of the group's committed offsets, or -1 while they cannot be read stably: a read_committed OffsetFetch
    /// waits while a transaction's offsets are pending and times out, which in a wait condition means "not yet".
    /// </summary>
    public static long CommittedSumOnceStable(string bootstrapServers, string group, string topic, int partitions)
    {
        try
        {
            return CommittedOffsets(bootstrapServers, group, topic, partitions).Sum();
        }
        catch (KafkaException error) when (error.Error.Code == ErrorCode.Local_TimedOut)
        {
            return -1;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, checking every few milliseconds; throws on timeout.</summary>
    public static Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what) => WaitUntil(condition, timeout, () => what);

    /// <summary>Waits until <paramref name="condition"/> holds; the message (computed on timeout) says what was awaited.</summary>
    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout} for: {what()}");
            }

            await Task.Delay(10);
        }
    }
}
