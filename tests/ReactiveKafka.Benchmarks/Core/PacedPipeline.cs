using System.Buffers.Binary;
using System.Diagnostics;
using System.Reactive.Subjects;
using Confluent.Kafka;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>
/// One paced produce → receive run in this process, shared by the latency and trickle scenarios: KafkaSender +
/// KafkaReceiver, or a raw producer (delivery handler) + raw consumer (Consume loop), sending records at a fixed rate,
/// each carrying its sequence number and send time, into a new one-partition topic.
/// </summary>
/// <remarks>
/// The topic is made with one marker record first and sending starts once the consumer has read it, so neither
/// topic creation nor the consumer's start counts. Latency is from the producing call to the subscriber's or
/// Consume's return (one process, same clock). The CPU is this process's from the first paced record to the last
/// one received.
/// </remarks>
public static class PacedPipeline
{
    /// <summary>The value size of every record (sequence number and send time first).</summary>
    public const int ValueSize = 100;

    /// <summary>
    /// Sends <paramref name="warmup"/> + <paramref name="measured"/> records at <paramref name="rate"/> per second and
    /// receives them.
    /// </summary>
    /// <param name="bootstrap">The broker.</param>
    /// <param name="topicPrefix">Names the run's new topic.</param>
    /// <param name="rate">Records per second.</param>
    /// <param name="warmup">Records sent first whose latency is not kept.</param>
    /// <param name="measured">Records whose latency is kept.</param>
    /// <param name="reactive">KafkaSender + KafkaReceiver when true, the raw clients otherwise.</param>
    /// <returns>The measured latencies (ms), sorted, and this process's cost while the records flowed.</returns>
    public static async Task<(double[] Sorted, RunCost Cost)> RunAsync(string bootstrap, string topicPrefix, int rate, int warmup, int measured, bool reactive)
    {
        var topic = Clients.Topic(topicPrefix);
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
        return (latencies, cost);
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
