using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How KafkaReceiver.ReceivePerPartition's cost grows with the partitions one member owns: the same records in topics
/// of 1, 4 and 16 partitions, read by one group member that subscribes to every inner sequence and acknowledges each
/// record (periodic commits). Sizes interleaved in every run; a fresh group per run.
/// </summary>
public sealed class ReceiverPartitionScaleScenario : IScenario
{
    private const int ValueSize = 100;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(1);

    public string Name => "scale-receiver-partitions";

    public string Description => "KafkaReceiver.ReceivePerPartition throughput with 1, 4, 16 partitions per member";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(500_000, smoke: 2_000);
        int[] sizes = [1, 4, 16];
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("scale-receiver"), flush: "os", partitions: 1);
        var topics = new Dictionary<int, string>();
        foreach (var partitions in sizes)
        {
            topics[partitions] = Clients.Topic($"receiver{partitions}");
            await Admin.CreateTopicAsync(server.BootstrapServers, topics[partitions], partitions);
            context.Log($"filling {count:N0} records into {partitions} partitions");
            await Task.Run(() => Clients.Fill(server.BootstrapServers, topics[partitions], count, ValueSize, partitions));
        }

        var perRecord = new ScaleSeries("ReceivePerPartition", "µs/record", "partitions per member", sizes);
        var cpu = new ScaleSeries("measuring-process CPU per record", "µs", "partitions per member", sizes);
        for (var run = context.Smoke ? 0 : -1; run < context.Runs; run++)
        {
            foreach (var partitions in sizes)
            {
                var process = ProcessCpu.Start();
                var elapsed = await ReceiveAsync(server.BootstrapServers, topics[partitions], count);
                var cost = process.Stop();
                if (run < 0)
                {
                    continue; // The warm-up round: JIT and first connections.
                }

                perRecord.Add(partitions, elapsed.TotalMicroseconds / (count - 1));
                cpu.Add(partitions, cost.CpuSeconds * 1e6 / count);
                context.Log($"run {run + 1}/{context.Runs} {partitions} partitions: {(count - 1) / elapsed.TotalSeconds:N0} rec/s");
            }
        }

        return perRecord.Result(Name,
            $"{count:N0} × {ValueSize} B per size, one member (subscribe), every inner sequence subscribed, Acknowledge per record, commit every {CommitInterval.TotalSeconds:0} s, standalone broker --flush os",
            context.Smoke, [cpu],
            ["Time per record from the first record to the last (group join excluded); the CPU is the whole measuring process's over the run (group join and close included)."]);
    }

    private static async Task<TimeSpan> ReceiveAsync(string bootstrapServers, string topic, int count)
    {
        var receiver = KafkaReceiver.Create(new ReceiverOptions<Ignore, byte[]>(Clients.ConsumerConfig(bootstrapServers)) { Topics = [topic], CommitInterval = CommitInterval });
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0L;
        var clock = new Stopwatch();
        var inner = new List<IDisposable>();
        using (receiver.ReceivePerPartition().Subscribe(
            partition =>
            {
                lock (inner)
                {
                    inner.Add(partition.Subscribe(
                        record =>
                        {
                            var n = Interlocked.Increment(ref received);
                            if (n == 1)
                            {
                                clock.Start();
                            }

                            record.Offset.Acknowledge();
                            if (n == count)
                            {
                                clock.Stop();
                                done.TrySetResult();
                            }
                        },
                        error => done.TrySetException(error)));
                }
            },
            error => done.TrySetException(error)))
        {
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }

        lock (inner)
        {
            inner.ForEach(s => s.Dispose());
        }

        return clock.Elapsed;
    }
}
