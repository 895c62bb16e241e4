using System.Diagnostics;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// A consume-transform-produce pipeline exactly once (ReceiveExactlyOnce + SendTransactionally) against, as side B,
/// the same pipeline at least once (<c>against: "at-least-once"</c>) or a hand-written Confluent transactional loop
/// (<c>against: "confluent"</c>). On librdkafka's mock cluster: the bundled broker does not serve transactions yet.
/// </summary>
public sealed class ExactlyOnceScenario(string against) : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4; // the mock cluster's auto-created topics
    private const int BatchSize = 1_000;

    public string Name => against == "confluent" ? "eos-vs-confluent" : "eos-vs-at-least-once";

    public string Description => against == "confluent"
        ? "exactly-once pipeline vs a hand-written Confluent transactional loop (mock cluster)"
        : "exactly-once pipeline vs the same pipeline at least once (mock cluster)";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        // The mock cluster keeps about 5 MiB per partition: 40,000 × 100 B over 4 partitions stays well inside it.
        var count = context.Settings.Count(40_000);
        var (host, bootstrap) = Clients.MockCluster(Clients.ProducerConfig("mock:0"));
        using var _ = host;
        var input = Clients.Topic("eos-in");
        Clients.Fill(bootstrap, input, count, ValueSize, Partitions);

        ReceiverOptions<Null, byte[]> Receiver() => new(Clients.ConsumerConfig(bootstrap)) { Topics = [input], BufferSize = BatchSize, CommitInterval = TimeSpan.FromMilliseconds(500) };

        async Task<double> ExactlyOnce(int run)
        {
            var output = Clients.Topic("eos-out");
            await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(Clients.ProducerConfig(bootstrap)) { TransactionalId = "bench-" + Guid.NewGuid().ToString("N") });
            var receiver = KafkaReceiver.Create(Receiver());
            var committed = 0L;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            using (sender.SendTransactionally(receiver.ReceiveExactlyOnce(sender.TransactionManager)
                    .Select(batch => batch.Select(r => new SenderRecord<Null, byte[], int>(output, null!, r.Message.Value, 0))))
                .Subscribe(transaction => transaction.Count().Subscribe(n =>
                {
                    if (Interlocked.Add(ref committed, n) >= count)
                    {
                        done.TrySetResult();
                    }
                }, _ => { })))
            {
                await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            }

            var elapsed = clock.Elapsed;
            await receiver.WhenReleasedAsync();
            return count / elapsed.TotalSeconds;
        }

        async Task<double> AtLeastOnce(int run)
        {
            var output = Clients.Topic("alo-out");
            await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(Clients.ProducerConfig(bootstrap)));
            var receiver = KafkaReceiver.Create(Receiver());
            var sent = 0L;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            using (sender.Send(receiver.Receive().Select(r => new SenderRecord<Null, byte[], ReceiverOffset>(output, null!, r.Value, r.Offset)))
                .Subscribe(result =>
                {
                    result.Correlation.Acknowledge();
                    if (Interlocked.Increment(ref sent) >= count)
                    {
                        done.TrySetResult();
                    }
                }))
            {
                await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            }

            var elapsed = clock.Elapsed;
            await receiver.WhenReleasedAsync();
            return count / elapsed.TotalSeconds;
        }

        Task<double> Confluent(int run) => Task.Run(() =>
        {
            var output = Clients.Topic("raw-out");
            var producerConfig = Clients.ProducerConfig(bootstrap);
            producerConfig.TransactionalId = "bench-raw-" + Guid.NewGuid().ToString("N");
            using var producer = new ProducerBuilder<Null, byte[]>(producerConfig).Build();
            using var consumer = new ConsumerBuilder<Null, byte[]>(Clients.ConsumerConfig(bootstrap)).Build();
            var clock = Stopwatch.StartNew();
            producer.InitTransactions(TimeSpan.FromSeconds(30));
            consumer.Subscribe(input);
            var processed = 0L;
            var failed = 0L;
            Action<DeliveryReport<Null, byte[]>> delivered = report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
            };
            while (processed < count)
            {
                // One transaction per batch of what one poll brings (up to the same batch size as the receiver's buffer).
                var first = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (first is null)
                {
                    continue;
                }

                producer.BeginTransaction();
                var next = new Dictionary<TopicPartition, Offset>();
                var record = first;
                var inBatch = 0;
                while (record is not null)
                {
                    producer.Produce(output, new Message<Null, byte[]> { Value = record.Message.Value }, delivered);
                    next[record.TopicPartition] = record.Offset + 1;
                    if (++inBatch == BatchSize)
                    {
                        break;
                    }

                    record = consumer.Consume(TimeSpan.Zero);
                }

                producer.SendOffsetsToTransaction(next.Select(o => new TopicPartitionOffset(o.Key, o.Value)), consumer.ConsumerGroupMetadata, TimeSpan.FromSeconds(30));
                producer.CommitTransaction(TimeSpan.FromSeconds(30));
                processed += inBatch;
            }

            var elapsed = clock.Elapsed;
            consumer.Close();
            return failed > 0 ? throw new InvalidOperationException($"{failed} records failed") : count / elapsed.TotalSeconds;
        });

        var (labelB, sideB) = against == "confluent" ? ("Confluent transactional loop", (Func<int, Task<double>>)Confluent) : ("at least once", AtLeastOnce);
        var (a, b, ratios) = await context.AlternateAsync("exactly once", ExactlyOnce, labelB, sideB, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        var goal = against == "confluent" ? 0.9 : (double?)null;
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, one transaction per poll batch (≤ {BatchSize:N0}), librdkafka's mock cluster",
            A = new SideResult("exactly once", "rec/s", a),
            B = new SideResult(labelB, "rec/s", b),
            Ratios = ratios,
            Target = goal is { } g ? $"ratio ≥ {g}" : "ratio reported (the price of transactions)",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke || goal is null ? null : ratio >= goal,
            Notes =
            {
                "Time from subscription to the last committed record (receiver, sender and group join included on both sides).",
                "The mock cluster, not the bundled broker: the bundled broker does not serve transactions yet.",
            },
        };
    }
}
