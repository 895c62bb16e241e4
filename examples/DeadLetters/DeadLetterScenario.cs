using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka;

namespace DeadLetters;

/// <summary>
/// Orders are processed with non-blocking retry topics: a flaky warehouse call fails some orders once (they succeed
/// from orders.retry.1), a discontinued item fails for good (orders.retry.1, .retry.2, then orders.dlt, with the
/// headers saying why), and a record that is not JSON goes straight to orders.dlt as poison.
/// </summary>
public static class DeadLetterScenario
{
    public static async Task<bool> RunAsync(string bootstrapServers, TextWriter output, CancellationToken cancellationToken = default)
    {
        var topic = "orders-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }]);
        }

        var options = new RetryTopicOptions<string, Order>(
            new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "warehouse", AutoOffsetReset = AutoOffsetReset.Earliest },
            new ProducerConfig { BootstrapServers = bootstrapServers },
            topic,
            valueDeserializer: new OrderDeserializer())
        {
            RetryDelays = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)],   // {topic}.retry.1, {topic}.retry.2
            InPlace = new RetryPolicy { MaxAttempts = 2, Delay = TimeSpan.FromMilliseconds(20) }, // two quick tries per topic
            IsRetriable = error => error is not ArgumentException,                         // bad data: straight to the DLT
        };

        var flakyOnce = new ConcurrentDictionary<int, int>();
        var processed = new ConcurrentBag<int>();
        var processor = new RetryTopicProcessor<string, Order>(options, (record, _) =>
        {
            var order = record.Value;
            if (order.Item == "discontinued")
            {
                throw new InvalidOperationException($"item '{order.Item}' of order {order.Id} is no longer stocked");
            }

            if (order.Quantity <= 0)
            {
                throw new ArgumentException($"order {order.Id} has quantity {order.Quantity}");
            }

            // Every fourth order meets a warehouse timeout on its first two attempts (the in-place ones), then succeeds.
            if (order.Id % 4 == 0 && flakyOnce.AddOrUpdate(order.Id, 1, (_, n) => n + 1) <= 2)
            {
                throw new TimeoutException($"warehouse timed out for order {order.Id}");
            }

            processed.Add(order.Id);
            return ValueTask.CompletedTask;
        });
        var created = await processor.CreateMissingTopicsAsync(cancellationToken);
        output.WriteLine($"created {string.Join(", ", created)}");

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build())
        {
            for (var id = 1; id <= 12; id++)
            {
                var order = new Order(id, id == 7 ? "discontinued" : "widget", id == 9 ? 0 : 1);
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "order-" + id, Value = JsonSerializer.Serialize(order, JsonSerializerOptions.Web) }, cancellationToken);
            }

            await producer.ProduceAsync(topic, new Message<string, string> { Key = "order-13", Value = "{ not json" }, cancellationToken);
        }

        var results = new ConcurrentQueue<RetryTopicResult>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (processor.Run().Subscribe(
            result =>
            {
                results.Enqueue(result);
                output.WriteLine($"{result.Outcome,-12} {result.Original} read from {result.Source.Topic} after {result.Attempts} attempt(s){(result.Exception is { } e ? ": " + e.Message : "")}");
                if (results.Count(r => r.Outcome != RecordOutcome.Retried) == 13)
                {
                    done.TrySetResult();
                }
            },
            error => done.TrySetException(error)))
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }

        output.WriteLine($"dead letters in {options.DeadLetterTopic}:");
        var deadLetters = ReadAll(bootstrapServers, options.DeadLetterTopic, 3);
        foreach (var dead in deadLetters)
        {
            string H(string name) => DeadLetterHeaders.GetString(dead.Message.Headers, name) ?? "-";
            output.WriteLine($"  {Encoding.UTF8.GetString(dead.Message.Value),-50} from {H(DeadLetterHeaders.OriginalTopic)} [{H(DeadLetterHeaders.OriginalPartition)}] @{H(DeadLetterHeaders.OriginalOffset)}, {H(DeadLetterHeaders.Attempts)} attempts, {H(DeadLetterHeaders.ExceptionType)}: {H(DeadLetterHeaders.ExceptionMessage)}");
        }

        var ok = processed.Order().SequenceEqual(Enumerable.Range(1, 12).Where(id => id is not 7 and not 9)) && deadLetters.Count == 3;
        output.WriteLine(ok ? "10 orders processed (3 after retries), 3 dead-lettered (one poison)." : $"unexpected: processed [{string.Join(",", processed.Order())}], {deadLetters.Count} dead letters");
        return ok;
    }

    private static List<ConsumeResult<byte[], byte[]>> ReadAll(string bootstrapServers, string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "dlt-reader" }).Build();
        consumer.Assign([new TopicPartitionOffset(topic, 0, Offset.Beginning), new TopicPartitionOffset(topic, 1, Offset.Beginning)]);
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (records.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                records.Add(record);
            }
        }

        return records;
    }
}
