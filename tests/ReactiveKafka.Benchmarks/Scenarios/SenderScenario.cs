using System.Diagnostics;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>KafkaSender.Send vs raw IProducer.Produce with a delivery handler: same broker, same config, 100 B records.</summary>
public sealed class SenderScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;

    public string Name => "sender";

    public string Description => "KafkaSender.Send vs raw Produce + delivery handler, 100 B records";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("sender"), flush: "os", partitions: Partitions);
        var value = Clients.Payload(ValueSize);
        var config = Clients.ProducerConfig(server.BootstrapServers);
        var topic = Clients.Topic("sender");
        Clients.Fill(server.BootstrapServers, topic, 10, ValueSize); // creates the topic
        var costs = new Dictionary<string, List<double>>();

        void Keep(int run, string name, double value)
        {
            if (run >= 0)
            {
                if (!costs.TryGetValue(name, out var list))
                {
                    costs[name] = list = [];
                }

                list.Add(value);
            }
        }

        // What one side costs this process per record (allocation) and per run (collections), from start to last result.
        (long Bytes, int Gen0, int Gen1, TimeSpan Paused) GcNow() =>
            (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.GetTotalPauseDuration());

        void KeepGc(int run, string side, (long Bytes, int Gen0, int Gen1, TimeSpan Paused) before)
        {
            var after = GcNow();
            Keep(run, $"{side} bytes/record", (after.Bytes - before.Bytes) / (double)count);
            Keep(run, $"{side} gen0 collections", after.Gen0 - before.Gen0);
            Keep(run, $"{side} gen1 collections", after.Gen1 - before.Gen1);
            Keep(run, $"{side} GC pause ms", (after.Paused - before.Paused).TotalMilliseconds);
        }

        async Task<double> Sender(int run)
        {
            await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(config) { MaxInFlight = config.QueueBufferingMaxMessages ?? 100_000 });
            var sent = new StrongBox<long>();
            var records = Records(topic, value, count, sent);
            var failures = 0L;
            var results = 0L;
            var peak = 0L;
            var gc = GcNow();
            var clock = Stopwatch.StartNew();
            await sender.Send(records).Do(r =>
            {
                if (!r.IsSuccess)
                {
                    failures++;
                }

                // Sampled per result: records handed to the sender and not yet reported (the window actually used).
                var inFlight = Volatile.Read(ref sent.Value) - results++;
                if (inFlight > peak)
                {
                    peak = inFlight;
                }
            }).LastOrDefaultAsync();
            var elapsed = clock.Elapsed;
            KeepGc(run, "KafkaSender", gc);
            Keep(run, "KafkaSender peak in flight", peak);
            if (failures > 0)
            {
                throw new InvalidOperationException($"{failures} sends failed");
            }

            return count / elapsed.TotalSeconds;
        }

        // A plain loop as the source, like the raw side's loop: Observable.Range schedules every item on the
        // CurrentThreadScheduler's trampoline and reads the clock twice per item (about 10 % of the sending thread's
        // CPU in a perf profile), which would be charged to KafkaSender without being its work.
        static IObservable<SenderRecord<Null, byte[], int>> Records(string topic, byte[] value, int count, StrongBox<long> sent) =>
            Observable.Create<SenderRecord<Null, byte[], int>>(observer =>
            {
                for (var i = 0; i < count; i++)
                {
                    observer.OnNext(new SenderRecord<Null, byte[], int>(topic, null!, value, i));
                    Volatile.Write(ref sent.Value, i + 1);
                }

                observer.OnCompleted();
                return System.Reactive.Disposables.Disposable.Empty;
            });

        Task<double> Raw(int run) => Task.Run(() =>
        {
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            var gc = GcNow();
            var elapsed = Clients.ProduceAll(producer, topic, count, value);
            KeepGc(run, "raw", gc);
            return count / elapsed.TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync("KafkaSender", Sender, "raw Produce", Raw, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, standalone broker --flush os",
            A = new SideResult("KafkaSender", "rec/s", a),
            B = new SideResult("raw Produce", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.95",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.95,
            Notes =
            {
                $"KafkaSender MaxInFlight = queue.buffering.max.messages ({config.QueueBufferingMaxMessages:N0}), the raw producer's bound; time from first send to last result.",
                "bytes/record, collections and GC pause: this process, from the first send to the last result; extra figures are medians over runs.",
            },
        };
        foreach (var (key, values) in costs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result.Extra[key] = Stats.Median(values);
        }

        return result;
    }
}
