using System.Buffers.Binary;
using System.Diagnostics;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// End-to-end latency produce → receive at a fixed rate: KafkaSender + KafkaReceiver vs raw producer + raw consumer,
/// against the standalone broker with its default durable flush. Each record carries its send time.
/// </summary>
public sealed class LatencyScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Rate = 10_000;

    public string Name => "latency";

    public string Description => $"end-to-end latency at {Rate:N0} rec/s: KafkaSender→KafkaReceiver vs raw";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var measured = context.Settings.Count(50_000);
        var warmup = context.Smoke ? 100 : 5_000;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("latency"), flush: "durable", partitions: 1);
        var percentiles = new Dictionary<string, List<double>>();

        void Keep(string side, double[] sorted)
        {
            foreach (var (name, p) in new[] { ("p50", 0.50), ("p99", 0.99), ("p99.9", 0.999) })
            {
                var key = $"{side} {name} ms";
                if (!percentiles.TryGetValue(key, out var list))
                {
                    percentiles[key] = list = [];
                }

                list.Add(Stats.Percentile(sorted, p));
            }
        }

        async Task<double> Reactive(int run)
        {
            var sorted = await MeasureAsync(server.BootstrapServers, warmup, measured, reactive: true);
            if (run >= 0)
            {
                Keep("SDK", sorted);
            }

            return Stats.Percentile(sorted, 0.99);
        }

        async Task<double> Raw(int run)
        {
            var sorted = await MeasureAsync(server.BootstrapServers, warmup, measured, reactive: false);
            if (run >= 0)
            {
                Keep("raw", sorted);
            }

            return Stats.Percentile(sorted, 0.99);
        }

        var (a, b, ratios) = await context.AlternateAsync("KafkaSender→KafkaReceiver", Reactive, "raw producer→consumer", Raw, warmups: context.Smoke ? 0 : 1);
        var p99 = Stats.Median(a);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{Rate:N0} rec/s, {measured:N0} measured records (+{warmup:N0} warm-up) × {ValueSize} B, 1 partition, acks=all, linger 0, standalone broker --flush durable",
            A = new SideResult("SDK p99", "ms", a),
            B = new SideResult("raw p99", "ms", b),
            Ratios = ratios,
            Target = "SDK p99 ≤ 5 ms",
            Checked = $"median p99 {Report.F(p99)} ms",
            Met = context.Smoke ? null : p99 <= 5,
            Notes = { "Latency from the producing call to the subscriber/Consume return, one process (same clock); extra figures are medians over runs." },
        };
        foreach (var (key, values) in percentiles.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result.Extra[key] = Stats.Median(values);
        }

        return result;
    }

    /// <summary>Sends warm-up + measured records at <see cref="Rate"/>; returns the measured latencies (ms), sorted.</summary>
    private static async Task<double[]> MeasureAsync(string bootstrap, int warmup, int measured, bool reactive)
    {
        var topic = Clients.Topic("latency");
        var total = warmup + measured;
        var latencies = new double[measured];
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

            if (seq >= warmup)
            {
                var sent = BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(8));
                latencies[seq - warmup] = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
                if (++received == measured)
                {
                    allSeen.TrySetResult();
                }
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
                await Task.Factory.StartNew(() => Pace(total, i => source.OnNext(new SenderRecord<Null, byte[], long>(topic, null!, Stamp(i), i))), TaskCreationOptions.LongRunning);
                await allSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
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
                await Task.Factory.StartNew(() => Pace(total, i => producer.Produce(topic, new Message<Null, byte[]> { Value = Stamp(i) }, handler)), TaskCreationOptions.LongRunning);
                await allSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
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
        return latencies;
    }

    private static byte[] Stamp(long seq)
    {
        var value = new byte[ValueSize];
        BinaryPrimitives.WriteInt64LittleEndian(value, seq);
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), Stopwatch.GetTimestamp());
        return value;
    }

    /// <summary>Calls <paramref name="send"/> for 0..total-1 at <see cref="Rate"/> per second: every ~1 ms, all records due by then.</summary>
    private static void Pace(int total, Action<long> send)
    {
        var start = Stopwatch.GetTimestamp();
        var ticksPerRecord = (double)Stopwatch.Frequency / Rate;
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
