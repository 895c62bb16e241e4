using System.Buffers.Binary;
using System.Diagnostics;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// The whole pipeline at full speed: KafkaSender → standalone broker → KafkaReceiver (group-managed, Acknowledge per
/// record, periodic commits) vs raw Produce + delivery handler → broker → raw Consume + StoreOffset + auto commit, the
/// sender and the receiver running at once in one process. Throughput is records over the time from the first send to
/// the last receive; each record carries its send time, so the latency under this load comes with it. (Latency at a
/// fixed rate, below saturation, is the latency scenario's.)
/// </summary>
public sealed class EndToEndScenario : IScenario
{
    private const int ValueSize = 100;
    private const int Partitions = 4;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(1);

    public string Name => "end-to-end";

    public string Description => "KafkaSender → broker → KafkaReceiver vs raw producer → broker → raw consumer, at once";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(1_000_000);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("end-to-end"), flush: "os", partitions: Partitions,
            extraArguments: ["--group-initial-rebalance-delay-ms", "0"]); // the clock starts after the join: this only saves wall time
        var config = Clients.ProducerConfig(server.BootstrapServers);
        var latencies = new PercentileSeries(" (under full load)");

        async Task<double> Sdk(int run)
        {
            var (rate, sorted) = await new Pipeline(server.BootstrapServers, config, count).RunSdkAsync();
            if (run >= 0)
            {
                latencies.Add("SDK", sorted);
            }

            return rate;
        }

        async Task<double> Raw(int run)
        {
            var (rate, sorted) = await new Pipeline(server.BootstrapServers, config, count).RunRawAsync();
            if (run >= 0)
            {
                latencies.Add("raw", sorted);
            }

            return rate;
        }

        var (a, b, ratios) = await context.AlternateAsync("KafkaSender→KafkaReceiver", Sdk, "raw producer→consumer", Raw, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        var result = new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B, {Partitions} partitions, acks=all, linger 5 ms, subscribe + commit every {CommitInterval.TotalSeconds:0} s, sender and receiver at once, standalone broker --flush os",
            A = new SideResult("KafkaSender→KafkaReceiver", "rec/s", a),
            B = new SideResult("raw producer→consumer", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.95",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.95,
            Notes = { "Rate = records / (last receive − first send); the consumer has joined its group (it read a marker record) before the first send. Latency = receive − send of each record in one process (one clock); medians over runs." },
        };
        latencies.AddMediansTo(result.Extra);

        return result;
    }

    /// <summary>One run of one side: a fresh topic with a marker record, a consumer that has read it, then the records.</summary>
    private sealed class Pipeline(string bootstrap, ProducerConfig config, int count)
    {
        private readonly string _topic = Clients.Topic("e2e");
        private readonly double[] _latencies = new double[count];
        private readonly TaskCompletionSource _markerSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _allSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _firstSend;
        private long _lastReceive;
        private int _received;

        public async Task<(double Rate, double[] Sorted)> RunSdkAsync()
        {
            WriteMarker();
            var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(Clients.ConsumerConfig(bootstrap)) { Topics = [_topic], CommitInterval = CommitInterval });
            using var subscription = receiver.Receive().Subscribe(
                r =>
                {
                    OnValue(r.Value);
                    r.Offset.Acknowledge();
                },
                e => _allSeen.TrySetException(e));
            await _markerSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));

            await using var sender = KafkaSender.Create(new SenderOptions<Null, byte[]>(config) { MaxInFlight = config.QueueBufferingMaxMessages ?? 100_000 });
            var failures = 0L;
            _firstSend = Stopwatch.GetTimestamp();
            var sent = sender.Send(Observable.Create<SenderRecord<Null, byte[], int>>(observer =>
            {
                for (var i = 0; i < count; i++)
                {
                    observer.OnNext(new SenderRecord<Null, byte[], int>(_topic, null!, Stamp(i), i));
                }

                observer.OnCompleted();
                return System.Reactive.Disposables.Disposable.Empty;
            })).Do(r =>
            {
                if (!r.IsSuccess)
                {
                    failures++;
                }
            }).LastOrDefaultAsync().ToTask();
            await Task.WhenAll(sent, _allSeen.Task).WaitAsync(TimeSpan.FromMinutes(5));
            return failures > 0 ? throw new InvalidOperationException($"{failures} sends failed") : Finish();
        }

        public async Task<(double Rate, double[] Sorted)> RunRawAsync()
        {
            WriteMarker();
            using var stop = new CancellationTokenSource();
            var consumeLoop = Task.Factory.StartNew(() =>
            {
                var consumerConfig = Clients.ConsumerConfig(bootstrap);
                consumerConfig.EnableAutoCommit = true;
                consumerConfig.AutoCommitIntervalMs = (int)CommitInterval.TotalMilliseconds;
                using var consumer = new ConsumerBuilder<Ignore, byte[]>(consumerConfig).Build();
                consumer.Subscribe(_topic);
                while (!stop.IsCancellationRequested)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(50));
                    if (record is { IsPartitionEOF: false })
                    {
                        OnValue(record.Message.Value);
                        consumer.StoreOffset(record);
                    }
                }

                consumer.Close();
            }, TaskCreationOptions.LongRunning);
            try
            {
                await _markerSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
                var failures = 0L;
                var produce = Task.Factory.StartNew(() =>
                {
                    using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
                    var delivered = new CountdownEvent(count);
                    Action<DeliveryReport<Null, byte[]>> handler = report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.Increment(ref failures);
                        }

                        delivered.Signal();
                    };
                    _firstSend = Stopwatch.GetTimestamp();
                    for (var i = 0; i < count; i++)
                    {
                        var message = new Message<Null, byte[]> { Value = Stamp(i) };
                        while (true)
                        {
                            try
                            {
                                producer.Produce(_topic, message, handler);
                                break;
                            }
                            catch (ProduceException<Null, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                            {
                                producer.Poll(TimeSpan.FromMilliseconds(1));
                            }
                        }
                    }

                    if (!delivered.Wait(TimeSpan.FromMinutes(5)))
                    {
                        throw new TimeoutException($"{delivered.CurrentCount} of {count} deliveries outstanding after 5 minutes.");
                    }
                }, TaskCreationOptions.LongRunning);
                await Task.WhenAll(produce, _allSeen.Task).WaitAsync(TimeSpan.FromMinutes(5));
                return failures > 0 ? throw new InvalidOperationException($"{failures} sends failed") : Finish();
            }
            finally
            {
                stop.Cancel();
                await consumeLoop;
            }
        }

        private void WriteMarker()
        {
            var marker = new byte[ValueSize];
            BinaryPrimitives.WriteInt64LittleEndian(marker, -1);
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            Clients.ProduceAll(producer, _topic, 1, marker);
        }

        private void OnValue(byte[] value)
        {
            var now = Stopwatch.GetTimestamp();
            var seq = BinaryPrimitives.ReadInt64LittleEndian(value);
            if (seq < 0)
            {
                _markerSeen.TrySetResult();
                return;
            }

            _latencies[seq] = Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(8)), now).TotalMilliseconds;
            if (Interlocked.Increment(ref _received) == count)
            {
                _lastReceive = now;
                _allSeen.TrySetResult();
            }
        }

        private (double Rate, double[] Sorted) Finish()
        {
            Array.Sort(_latencies);
            return (count / Stopwatch.GetElapsedTime(_firstSend, _lastReceive).TotalSeconds, _latencies);
        }

        private static byte[] Stamp(long seq)
        {
            var value = new byte[ValueSize];
            BinaryPrimitives.WriteInt64LittleEndian(value, seq);
            BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), Stopwatch.GetTimestamp());
            return value;
        }
    }
}
