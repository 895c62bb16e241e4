using System.Reactive.Linq;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using ReactiveKafka;

// A complete program: start a broker (reactivekafka-broker, or any Kafka), then
//   dotnet run --project examples/Tour -- 127.0.0.1:9092
var bootstrapServers = args.Length > 0 ? args[0] : "127.0.0.1:9092";
var topic = "orders-" + Guid.NewGuid().ToString("N")[..8];   // a fresh topic per run, created on first use
var orders = Enumerable.Range(1, 12)
    .Select(i => new Order(Guid.NewGuid(), $"customer-{i % 4}", i % 3 == 0 ? "paid" : "open"))
    .ToList();

// Publish: records in as an observable (or IAsyncEnumerable), one result per record out, in order per
// partition, with your correlation value. At most MaxInFlight records are unacknowledged: a faster source waits.
// Values are JSON through a source-generated context (trimming- and AOT-safe); Schema Registry serializers
// (IAsyncSerializer) plug in the same way.
var ends = new Dictionary<TopicPartition, long>();   // partition -> offset after its last record
await using (var sender = KafkaSender.Create(new SenderOptions<string, Order>(
    new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All },
    valueSerializer: new KafkaJsonSerializer<Order>(TourJson.Default.Order)) { MaxInFlight = 4096 }))
{
    await sender
        .Send(orders.ToObservable().Select(o => new SenderRecord<string, Order, Guid>(topic, o.Customer, o, o.Id)))
        .Do(r => Console.WriteLine(r.IsSuccess ? $"sent {r}" : $"{r.Correlation} failed: {r.Exception}"))  // orders-… [0] @3 (id)
        .Do(r => ends[new TopicPartition(r.Topic, r.Partition)] = r.Offset.Value + 1)
        .LastAsync();
}

// Subscribe: a topic as an observable. Acknowledge what you processed; the receiver commits only contiguous runs
// of acknowledged offsets (by interval or batch, on revoke and on close), and stops taking records (then pauses the
// partitions, still polling) at BufferSize or MaxUnacknowledged, whichever comes first. A record the pipeline drops
// must be acknowledged too, or nothing after it is ever committed: WhereAcknowledging does that (Rx's Where cannot).
// AutoOffsetReset.Earliest: a new group reads the records produced before it joined.
var receiver = KafkaReceiver.Create(new ReceiverOptions<string, Order>(
    new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "billing", AutoOffsetReset = AutoOffsetReset.Earliest },
    valueDeserializer: new KafkaJsonDeserializer<Order>(TourJson.Default.Order)) { Topics = [topic] });

var paid = orders.Count(o => o.Status == "paid");
var billed = 0;
var allBilled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using (receiver.Receive()
    .WhereAcknowledging(r => r.Value.Status == "paid")          // open orders: dropped and acknowledged
    .SelectMany(async r => { await BillAsync(r.Value); return r; })
    .Subscribe(
        r =>
        {
            r.Offset.Acknowledge();                              // billed: committable once all before it are
            Console.WriteLine($"billed {r.Value.Customer} at {r}");   // orders-… [0] @3
            if (Interlocked.Increment(ref billed) == paid)
            {
                allBilled.TrySetResult();
            }
        },
        error => allBilled.TrySetException(error)))
{
    await allBilled.Task.WaitAsync(TimeSpan.FromSeconds(60));
}   // disposing the subscription commits the acknowledged offsets and leaves the group

// receiver.Statistics: buffered and unacknowledged counts, lost partitions, dropped acknowledgements (an
// acknowledgement of a partition no longer owned is dropped: its next owner reads the record again).
// Other shapes: ReceiveAsync (IAsyncEnumerable; canceling yields nothing more), ReceiveBatch, ReceiveAutoAck,
// ReceiveAtMostOnce, ReceivePerPartition (one ordered inner sequence per partition, for parallel processing).
// The group's commits reached the end of every partition, past the open orders that were dropped.
using var check = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "billing" }).Build();
var committed = check.Committed(ends.Keys, TimeSpan.FromSeconds(10));
var allCommitted = committed.All(c => c.Offset.Value == ends[c.TopicPartition]);
Console.WriteLine($"billed {billed} paid orders of {orders.Count}; committed: {string.Join(", ", committed.Select(c => $"[{c.Partition.Value}] @{c.Offset.Value}"))}");
return billed == paid && allCommitted ? 0 : 1;

static Task BillAsync(Order order) => Task.Delay(TimeSpan.FromMilliseconds(order.Customer.Length));

/// <summary>An order, as JSON on the topic.</summary>
internal sealed record Order(Guid Id, string Customer, string Status);

/// <summary>Source-generated JSON metadata for <see cref="Order"/>.</summary>
[JsonSerializable(typeof(Order))]
internal sealed partial class TourJson : JsonSerializerContext;
