using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reactive.Linq;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka;
using ReactiveKafka.Broker;

// Per-partition processing: one ordered inner sequence per assigned partition, processed in parallel with the others.
// Each record takes a little "work" (an await); partitions overlap, while every partition stays in offset order.
const string topic = "orders";
const int partitions = 4, records = 2_000;
var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-perpartition-" + Guid.NewGuid().ToString("N")[..8]);
await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0" }))
{
    Console.WriteLine($"Bundled broker listening on {broker.BootstrapServers}");
    using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
    {
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 5 }).Build())
    {
        for (var i = 0; i < records; i++)
        {
            // The key decides the partition: all events of one customer land in one partition, in order.
            producer.Produce(topic, new Message<string, string> { Key = $"customer-{i % 40}", Value = $"order #{i}" });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = "per-partition-example",
        AutoOffsetReset = AutoOffsetReset.Earliest,
    })
    {
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(500),
        OnPartitionsAssigned = assigned => Console.WriteLine($"assigned: {string.Join(", ", assigned.Select(p => p.TopicPartition.Partition.Value))}"),
    });

    var lastOffset = new ConcurrentDictionary<int, long>();
    var inParallel = 0;
    var mostInParallel = 0;
    var clock = Stopwatch.StartNew();
    var pipeline = receiver.ReceivePerPartition()
        .SelectMany(partition => partition
            // Concat keeps each partition sequential: the next record starts when the previous one is done...
            .Select(record => Observable.FromAsync(async () =>
            {
                var now = Interlocked.Increment(ref inParallel);
                InterlockedMax(ref mostInParallel, now);
                await Task.Delay(1); // the "work": I/O of some kind
                if (lastOffset.TryGetValue(partition.Key.Partition.Value, out var last) && last >= record.Offset.Value)
                {
                    throw new InvalidOperationException($"{partition.Key} out of order: {record.Offset.Value} after {last}");
                }

                lastOffset[partition.Key.Partition.Value] = record.Offset.Value;
                Interlocked.Decrement(ref inParallel);
                record.Offset.Acknowledge(); // committed by the receiver, never past an unprocessed record
                return record;
            }))
            .Concat());
    // ...while SelectMany lets the partitions run side by side.

    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var processed = 0;
    using (pipeline.Subscribe(
        _ =>
        {
            if (Interlocked.Increment(ref processed) == records)
            {
                done.TrySetResult();
            }
        },
        error => done.TrySetException(error)))
    {
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    } // disposing the subscription commits the acknowledged offsets, leaves the group and closes the consumer

    clock.Stop();

    Console.WriteLine($"processed {processed} records from {lastOffset.Count} partitions in {clock.ElapsedMilliseconds} ms; " +
        $"up to {mostInParallel} partitions were being processed at the same time; each partition stayed in offset order.");
}

Directory.Delete(dataDirectory, recursive: true);
return 0;

static void InterlockedMax(ref int target, int value)
{
    int current;
    while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
    {
    }
}
