using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// KafkaReceiver.Receive() acknowledging every record with periodic commits vs a raw Consume loop with StoreOffset and
/// auto commit at the same interval: same broker, same consumer config, a fresh group per run.
/// </summary>
public sealed class ReceiverScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(1);

    public string Name => "receiver";

    public string Description => "KafkaReceiver.Receive + Acknowledge vs raw Consume + StoreOffset + auto commit";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("receiver"), flush: "os", partitions: Partitions);
        var topic = Clients.Topic("receiver");
        context.Log($"filling {count:N0} records");
        Clients.Fill(server.BootstrapServers, topic, count, ValueSize);

        async Task<double> Receiver(int run)
        {
            var config = Clients.ConsumerConfig(server.BootstrapServers);
            var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(config) { Topics = [topic], CommitInterval = CommitInterval });
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var received = 0L;
            var clock = new Stopwatch();
            using (receiver.Receive().Subscribe(
                record =>
                {
                    if (received == 0)
                    {
                        clock.Start();
                    }

                    record.Offset.Acknowledge();
                    if (++received == count)
                    {
                        clock.Stop();
                        done.TrySetResult();
                    }
                },
                error => done.TrySetException(error)))
            {
                await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            }

            return (count - 1) / clock.Elapsed.TotalSeconds;
        }

        Task<double> Raw(int run) => Task.Run(() =>
        {
            var config = Clients.ConsumerConfig(server.BootstrapServers);
            config.EnableAutoCommit = true;
            config.AutoCommitIntervalMs = (int)CommitInterval.TotalMilliseconds;
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
            consumer.Subscribe(topic);
            var received = 0L;
            var clock = new Stopwatch();
            var deadline = Stopwatch.StartNew();
            while (received < count)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record is null || record.IsPartitionEOF)
                {
                    if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                    {
                        throw new TimeoutException($"Read {received} of {count} in 5 minutes.");
                    }

                    continue;
                }

                if (received == 0)
                {
                    clock.Start();
                }

                consumer.StoreOffset(record);
                received++;
            }

            clock.Stop();
            consumer.Close();
            return (count - 1) / clock.Elapsed.TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("KafkaReceiver", Receiver, "raw Consume", Raw, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, commit every {CommitInterval.TotalSeconds:0} s, standalone broker --flush os",
            A = new SideResult("KafkaReceiver", "rec/s", a),
            B = new SideResult("raw Consume", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.95",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.95,
            Notes = { "Rate from the first record to the last (group join excluded); a fresh group per run, subscribe (group-managed)." },
        };
    }
}
