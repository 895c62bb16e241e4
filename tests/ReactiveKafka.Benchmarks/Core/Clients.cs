using System.Diagnostics;
using Confluent.Kafka;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>Client configurations and raw Confluent helpers shared by the scenarios.</summary>
public static class Clients
{
    /// <summary>The producer configuration both sides of a comparison use.</summary>
    public static ProducerConfig ProducerConfig(string bootstrapServers, Acks acks = Acks.All) => new()
    {
        BootstrapServers = bootstrapServers,
        Acks = acks,
        LingerMs = 5,
        BatchNumMessages = 10_000,
        QueueBufferingMaxMessages = 1_000_000,
        QueueBufferingMaxKbytes = 1024 * 1024,
    };

    /// <summary>A consumer configuration reading from the beginning with a fresh group.</summary>
    public static ConsumerConfig ConsumerConfig(string bootstrapServers, string? group = null) => new()
    {
        BootstrapServers = bootstrapServers,
        GroupId = group ?? "bench-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        SessionTimeoutMs = 10_000,
        HeartbeatIntervalMs = 1000,
        FetchErrorBackoffMs = 10,

        // librdkafka stops fetching for fetch.queue.backoff.ms (1000 ms by default) each time its local queue passes
        // queued.min.messages; with a million records that backoff, not the broker, capped every consumer at about
        // 200k records/s. Both sides of every comparison use the same setting.
        FetchQueueBackoffMs = 10,
    };

    /// <summary>A value of <paramref name="size"/> bytes.</summary>
    public static byte[] Payload(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// Produces <paramref name="count"/> records with a delivery handler (librdkafka's fastest path), retrying on a full
    /// queue, and waits for every delivery; returns the elapsed time. Partitions round robin when given, else the
    /// default partitioner.
    /// </summary>
    public static TimeSpan ProduceAll(IProducer<Null, byte[]> producer, string topic, int count, byte[] value, int partitions = 0)
    {
        var failures = 0L;
        Error? firstError = null;
        var remaining = (long)count;
        var done = new ManualResetEventSlim();
        Action<DeliveryReport<Null, byte[]>> handler = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failures);
                firstError ??= report.Error;
            }

            if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.Set();
            }
        };
        var message = new Message<Null, byte[]> { Value = value };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                try
                {
                    if (partitions > 0)
                    {
                        producer.Produce(new TopicPartition(topic, i % partitions), message, handler);
                    }
                    else
                    {
                        producer.Produce(topic, message, handler);
                    }

                    break;
                }
                catch (ProduceException<Null, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }
        }

        if (!done.Wait(TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException($"{Interlocked.Read(ref remaining)} of {count} deliveries outstanding after 5 minutes.");
        }

        var elapsed = clock.Elapsed;
        if (failures > 0)
        {
            throw new KafkaException(firstError ?? new Error(ErrorCode.Unknown, $"{failures} deliveries failed"));
        }

        return elapsed;
    }

    /// <summary>Fills a topic through a fresh producer (acks=all), for consume scenarios.</summary>
    public static void Fill(string bootstrapServers, string topic, int count, int valueSize, int partitions = 0)
    {
        var config = ProducerConfig(bootstrapServers);
        config.MessageMaxBytes = Math.Max(1_000_000, valueSize + 4096);
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        ProduceAll(producer, topic, count, Payload(valueSize), partitions);
    }

    /// <summary>
    /// Reads <paramref name="count"/> records of the assigned partitions from the beginning with a raw Consume loop;
    /// returns the time from the first record to the last (so connection and first fetch are excluded) and the bytes.
    /// </summary>
    public static (TimeSpan Elapsed, long Bytes) ConsumeAll(ConsumerConfig config, string topic, int partitions, long count, Action? onSample = null)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var read = 0L;
        var bytes = 0L;
        var clock = new Stopwatch();
        var deadline = Stopwatch.StartNew();
        var sampled = Stopwatch.StartNew();
        while (read < count)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (onSample is not null && sampled.ElapsedMilliseconds >= 20)
            {
                onSample();
                sampled.Restart();
            }

            if (record is null || record.IsPartitionEOF)
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"Read {read} of {count} records of {topic} in 5 minutes.");
                }

                continue;
            }

            if (read == 0)
            {
                clock.Start();
            }

            read++;
            bytes += record.Message.Value?.Length ?? 0;
        }

        var elapsed = clock.Elapsed;
        consumer.Close();
        return (elapsed, bytes);
    }

    /// <summary>
    /// A producer with librdkafka's in-process mock cluster (<c>test.mock.num.brokers=1</c>) and the mock broker's
    /// address (from the producer's metadata), so that other clients can use the same cluster.
    /// </summary>
    public static (IProducer<Null, byte[]> Producer, string BootstrapServers) MockCluster(ProducerConfig config)
    {
        config.Set("test.mock.num.brokers", "1");
        var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var broker = metadata.Brokers[0];
        return (producer, $"{broker.Host}:{broker.Port}");
    }

    /// <summary>A unique topic name.</summary>
    public static string Topic(string prefix) => $"bench-{prefix}-{Guid.NewGuid():N}";
}
