using Confluent.Kafka;
using ReactiveKafka.Broker;

// The quick start: start the bundled broker in-process, publish a few records, read them back.
var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-quickstart-" + Guid.NewGuid().ToString("N")[..8]);
await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0" }))
{
    Console.WriteLine($"Bundled broker listening on {broker.BootstrapServers} (data in {dataDirectory})");
    const string topic = "quickstart";

    using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All }).Build())
    {
        for (var i = 1; i <= 5; i++)
        {
            var result = await producer.ProduceAsync(topic, new Message<string, string> { Key = $"key-{i}", Value = $"hello #{i}" });
            Console.WriteLine($"sent     {result.Message.Key} => {result.Message.Value} at {result.TopicPartitionOffset}");
        }
    }

    using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = "quickstart",
        AutoOffsetReset = AutoOffsetReset.Earliest,
    }).Build();
    consumer.Subscribe(topic);
    var received = 0;
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (received < 5 && DateTime.UtcNow < deadline)
    {
        var record = consumer.Consume(TimeSpan.FromSeconds(1));
        if (record is null)
        {
            continue;
        }

        received++;
        Console.WriteLine($"received {record.Message.Key} => {record.Message.Value} at {record.TopicPartitionOffset}");
    }

    consumer.Commit();
    consumer.Close();
    if (received < 5)
    {
        Console.Error.WriteLine($"Only {received} of 5 records came back within 30 s.");
        return 1;
    }
}

Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine("Done.");
return 0;
