using System.Buffers.Binary;
using System.Diagnostics;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// What the SDK costs at a trickle: KafkaSender + KafkaReceiver in one process against a raw producer (delivery
/// handler) + raw consumer (Consume loop), at 1 k, 10 k and 100 k records/s. Reports this process's CPU per 100 k
/// records while records flow (the broker is another process) and the end-to-end latency percentiles.
/// </summary>
/// <remarks>
/// The cost at a low rate is dominated by hand-offs between threads, not by work per record: a hand-off that wakes a
/// thread-pool worker for a few records costs the wake and the worker's spinning before it sleeps again.
/// </remarks>
public sealed class TrickleScenario : IScenario
{
    private const int ValueSize = 100;
    private static readonly int[] Rates = [1_000, 10_000, 100_000];

    public string Name => "trickle";

    public string Description => "CPU per 100k records and latency at 1k/10k/100k rec/s: KafkaSender→KafkaReceiver vs raw";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var seconds = context.Smoke ? 0.3 : 5.0;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("trickle"), flush: "os", partitions: 1);
        var extra = new Dictionary<string, List<double>>();
        var sdk10k = new List<double>();
        var raw10k = new List<double>();

        void Keep(string key, double value)
        {
            if (!extra.TryGetValue(key, out var list))
            {
                extra[key] = list = [];
            }

            list.Add(value);
        }

        if (!context.Smoke)
        {
            context.Log("warm-up");
            await MeasureAsync(server.BootstrapServers, 10_000, 1.0, reactive: true);
            await MeasureAsync(server.BootstrapServers, 10_000, 1.0, reactive: false);
        }

        for (var run = 0; run < context.Runs; run++)
        {
            foreach (var rate in Rates)
            {
                foreach (var reactive in new[] { true, false })
                {
                    var side = reactive ? "SDK" : "raw";
                    var (sorted, cost, count) = await MeasureAsync(server.BootstrapServers, rate, seconds, reactive);
                    var per100k = cost.CpuSeconds / count * 100_000;
                    var label = $"{rate / 1000}k/s";
                    Keep($"{side} {label} cpu s/100k", per100k);
                    Keep($"{side} {label} p50 ms", Stats.Percentile(sorted, 0.50));
                    Keep($"{side} {label} p99 ms", Stats.Percentile(sorted, 0.99));
                    if (rate == 10_000)
                    {
                        (reactive ? sdk10k : raw10k).Add(per100k);
                    }

                    context.Log($"run {run + 1}/{context.Runs} {side} {label}: {per100k:0.00} s/100k, p50 {Stats.Percentile(sorted, 0.5):0.00} ms, p99 {Stats.Percentile(sorted, 0.99):0.00} ms ({cost})");
                }
            }
        }

        var ratios = sdk10k.Zip(raw10k, (a, b) => a / b).ToArray();
        var ratio = Stats.Median(ratios);
        var p99 = Stats.Median(extra["SDK 10k/s p99 ms"]);
        var rawP99 = Stats.Median(extra["raw 10k/s p99 ms"]);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{string.Join(", ", Rates.Select(r => $"{r:N0}"))} rec/s for {seconds:0.#} s each × {ValueSize} B, 1 partition, acks=all, linger 0, standalone broker --flush os",
            A = new SideResult("SDK cpu at 10k/s", "s/100k", [.. sdk10k]),
            B = new SideResult("raw cpu at 10k/s", "s/100k", [.. raw10k]),
            Ratios = ratios,
            Target = "CPU ratio at 10k/s ≤ 1.5, SDK p99 ≤ max(5 ms, raw p99)",
            Checked = $"median CPU ratio {Report.F(ratio)}, SDK p99 {Report.F(p99)} ms (raw {Report.F(rawP99)} ms)",
            Met = context.Smoke ? null : ratio <= 1.5 && p99 <= Math.Max(5, rawP99),
            Notes =
            {
                "CPU of this process (sender and receiver, or raw producer and consumer) from the first paced record to the last one received, per 100 k records; latency from the producing call to the subscriber/Consume return; extra figures are medians over runs, the rates run in turn within each run.",
            },
        };
        foreach (var (key, values) in extra.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result.Extra[key] = Stats.Median(values);
        }

        return result;
    }

    /// <summary>
    /// Sends records at <paramref name="rate"/> for <paramref name="seconds"/> and receives them; returns the sorted
    /// latencies (ms), this process's cost while they flowed, and the record count.
    /// </summary>
    private static async Task<(double[] Sorted, RunCost Cost, int Count)> MeasureAsync(string bootstrap, int rate, double seconds, bool reactive)
    {
        var topic = Clients.Topic("trickle");
        var total = (int)(rate * seconds);
        var latencies = new double[total];
        var received = 0;
        var markerSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The topic exists with one marker record; the consumer is ready once it has read it.
        var producerConfig = Clients.ProducerConfig(bootstrap);
        producerConfig.LingerMs = 0;
        var marker = new byte[ValueSize];
        BinaryPrimitives.WriteInt64LittleEndian(marker, -1);
        using (var p = new ProducerBuilder<Null, byte[]>(producerConfig).Build())
        {
            Clients.ProduceAll(p, topic, 1, marker);
        }

        void OnValue(byte[] value)
        {
            var now = Stopwatch.GetTimestamp();
            var seq = BinaryPrimitives.ReadInt64LittleEndian(value);
            if (seq < 0)
            {
                markerSeen.TrySetResult();
                return;
            }

            latencies[seq] = Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(8)), now).TotalMilliseconds;
            if (++received == total)
            {
                allSeen.TrySetResult();
            }
        }

        var consumerConfig = Clients.ConsumerConfig(bootstrap);
        var assignment = new[] { new TopicPartitionOffset(topic, 0, Offset.Beginning) };
        using var stop = new CancellationTokenSource();
        IDisposable? subscription = null;
        Task? consumeLoop = null;
        if (reactive)
        {
            var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(consumerConfig) { Assignment = assignment, CommitInterval = TimeSpan.FromSeconds(1) });
            subscription = receiver.Receive().Subscribe(
                r =>
                {
                    OnValue(r.Value);
                    r.Offset.Acknowledge();
                },
                e => allSeen.TrySetException(e));
        }
        else
        {
            consumeLoop = Task.Factory.StartNew(() =>
            {
                using var consumer = new ConsumerBuilder<Ignore, byte[]>(consumerConfig).Build();
                consumer.Assign(assignment);
                while (!stop.IsCancellationRequested)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(50));
                    if (record is { IsPartitionEOF: false })
                    {
                        OnValue(record.Message.Value);
                    }
                }

                consumer.Close();
            }, TaskCreationOptions.LongRunning);
        }

        RunCost cost;
        try
        {
            await markerSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var failed = 0;
            if (reactive)
            {
                await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(producerConfig));
                using var source = new Subject<SenderRecord<Null, byte[], long>>();
                using var results = sender.Send(source).Subscribe(r =>
                {
                    if (!r.IsSuccess)
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
                var cpu = ProcessCpu.Start();
                await Task.Factory.StartNew(() => Pace(total, rate, i => source.OnNext(new SenderRecord<Null, byte[], long>(topic, null!, Stamp(i), i))), TaskCreationOptions.LongRunning);
                await allSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
                cost = cpu.Stop();
                source.OnCompleted();
            }
            else
            {
                using var producer = new ProducerBuilder<Null, byte[]>(producerConfig).Build();
                Action<DeliveryReport<Null, byte[]>> handler = r =>
                {
                    if (r.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                };
                var cpu = ProcessCpu.Start();
                await Task.Factory.StartNew(() => Pace(total, rate, i => producer.Produce(topic, new Message<Null, byte[]> { Value = Stamp(i) }, handler)), TaskCreationOptions.LongRunning);
                await allSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
                cost = cpu.Stop();
                producer.Flush(TimeSpan.FromSeconds(10));
            }

            if (failed > 0)
            {
                throw new InvalidOperationException($"{failed} sends failed");
            }
        }
        finally
        {
            subscription?.Dispose();
            stop.Cancel();
            if (consumeLoop is not null)
            {
                await consumeLoop;
            }
        }

        Array.Sort(latencies);
        return (latencies, cost, total);
    }

    private static byte[] Stamp(long seq)
    {
        var value = new byte[ValueSize];
        BinaryPrimitives.WriteInt64LittleEndian(value, seq);
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), Stopwatch.GetTimestamp());
        return value;
    }

    /// <summary>Calls <paramref name="send"/> for 0..total-1 at <paramref name="rate"/> per second: every ~1 ms, all records due by then.</summary>
    private static void Pace(int total, int rate, Action<long> send)
    {
        var start = Stopwatch.GetTimestamp();
        var ticksPerRecord = (double)Stopwatch.Frequency / rate;
        var next = 0;
        while (next < total)
        {
            var now = Stopwatch.GetTimestamp();
            while (next < total && start + (long)(next * ticksPerRecord) <= now)
            {
                send(next++);
            }

            Thread.Sleep(1);
        }
    }
}
