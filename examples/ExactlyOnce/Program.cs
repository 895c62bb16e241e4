using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka;

// Consume-transform-produce exactly once: orders in, upper-cased orders out, each input record's output committed in
// the same transaction as its consumed offset. Pass a cluster's bootstrap servers; without one the example hosts
// librdkafka's mock cluster (it serves transactions, though it does not hide aborted ones from read_committed readers).
using var mockHost = args.Length == 0 ? new ProducerBuilder<Null, Null>(new ProducerConfig(new Dictionary<string, string> { ["test.mock.num.brokers"] = "1" }) { BootstrapServers = "mock:0" }).Build() : null;
var bootstrapServers = args.Length > 0 ? args[0] : MockBootstrapServers(mockHost!);
const int records = 1_000;
using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build())
{
    for (var i = 0; i < records; i++)
    {
        producer.Produce("orders", new Message<string, string> { Key = $"order-{i}", Value = $"order #{i}" });
    }

    producer.Flush(TimeSpan.FromSeconds(30));
}

await using var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers })
{
    TransactionalId = "orders-uppercaser", // one per pipeline instance: a restarted instance fences its predecessor
});
var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
{
    BootstrapServers = bootstrapServers,
    GroupId = "orders-uppercaser",
    AutoOffsetReset = AutoOffsetReset.Earliest,
})
{
    Topics = ["orders"],
    MaxDelayRebalance = TimeSpan.FromSeconds(2), // on a rebalance, let the open transaction commit first
});

// The whole pipeline: one transaction per polled batch, committed when the batch's records are all sent.
var committed = 0;
var done = new TaskCompletionSource();
using var pipeline = sender.SendTransactionally(
        receiver.ReceiveExactlyOnce(sender.TransactionManager)
            .Select(batch => batch.Select(order => new SenderRecord<string, string, string>("orders-upper", order.Message.Key, order.Message.Value.ToUpperInvariant(), order.Message.Key))))
    .Subscribe(transaction => transaction.Count().Subscribe(
        count =>
        {
            if (Interlocked.Add(ref committed, count) >= records)
            {
                done.TrySetResult();
            }
        },
        error => Console.WriteLine($"transaction aborted: {error.Message}")));

await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
Console.WriteLine($"{committed} orders transformed, each committed exactly once with its input offset.");

static string MockBootstrapServers(IProducer<Null, Null> host)
{
    using var admin = new DependentAdminClientBuilder(host.Handle).Build();
    var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
    return $"{broker.Host}:{broker.Port}";
}
