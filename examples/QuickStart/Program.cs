using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka;
using ReactiveKafka.Broker;

// The quick start: start the bundled broker in-process, publish an observable sequence of orders with
// KafkaSender, then subscribe to the topic as an observable with KafkaReceiver and run an Rx pipeline over it,
// acknowledging each record once it has been processed.
var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-quickstart-" + Guid.NewGuid().ToString("N")[..8]);
const string topic = "orders";
const int orderCount = 20;

await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0", DefaultPartitions = 3 }))
{
    Console.WriteLine($"Bundled broker listening on {broker.BootstrapServers} (data in {dataDirectory})");

    // Publish: an observable of records in, an observable of per-record results out (with our correlation: the order number).
    await using (var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All })))
    {
        var orders = Observable.Range(1, orderCount)
            .Select(i => new SenderRecord<string, string, int>(topic, $"customer-{i % 4}", i % 3 == 0 ? $"order {i}: paid" : $"order {i}: open", i));
        await sender.Send(orders)
            .Do(result => Console.WriteLine($"sent     {result}"))   // orders [2] @3 (7): topic [partition] @offset (correlation)
            .LastAsync();
    }

    // Subscribe: the topic as an observable; a LINQ pipeline keeps the paid orders and groups them in twos.
    var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = "quickstart",
        AutoOffsetReset = AutoOffsetReset.Earliest,
    })
    { Topics = [topic] });

    var seen = 0;
    var paid = new List<string>();
    var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var subscription = receiver.Receive()
        .Do(record =>
        {
            Interlocked.Increment(ref seen);
            record.Offset.Acknowledge();            // processed: committable once everything before it is too
        })
        .Where(record => record.Value.EndsWith("paid", StringComparison.Ordinal))
        .Select(record => $"{record.Key}: {record.Value}")
        .Buffer(2)
        .Subscribe(
            pair =>
            {
                Console.WriteLine($"received [{string.Join(" | ", pair)}]");
                paid.AddRange(pair);
                if (paid.Count >= orderCount / 3)
                {
                    enough.TrySetResult();
                }
            },
            error => enough.TrySetException(error));

    await enough.Task.WaitAsync(TimeSpan.FromSeconds(30));

    // Disposing the subscription commits the acknowledged offsets, leaves the group and closes the consumer.
    subscription.Dispose();
    Console.WriteLine($"{paid.Count} paid orders out of the {seen} records read; offsets committed on the way out.");
    if (paid.Count != orderCount / 3)
    {
        Console.Error.WriteLine($"Expected {orderCount / 3} paid orders.");
        return 1;
    }
}

Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine("Done.");
return 0;
