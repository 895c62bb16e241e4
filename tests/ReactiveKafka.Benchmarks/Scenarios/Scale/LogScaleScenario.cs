using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How the cost of reading a log from its start grows with the log's size: one consumer reads a whole 10 MB, 1 GB and
/// 10 GB one-partition log (1 KiB records) from the beginning, a fresh standalone broker per read. The per-record
/// cost must stay flat. The 10 GB log is written for this scenario and deleted at its end; the two smaller ones are
/// the logs that broker-memory and recovery share.
/// </summary>
public sealed class LogScaleScenario : IScenario
{
    public string Name => "scale-log";

    public string Description => "fetch from the start of a 10 MB, 1 GB and 10 GB log (per-record cost)";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        // Sizes in MB (10^6 bytes). The smoke sizes are the smoke sizes of the shared logs.
        int[] sizes = context.Smoke ? [1, 4, 8] : [10, 1000, 10_000];
        var hugeBytes = sizes[2] * 1_000_000L;
        EnsureDiskSpace(context.WorkDirectory, hugeBytes);
        var logs = new Dictionary<int, LogFixture>
        {
            [sizes[0]] = await LogFixture.SharedAsync(context, "log-small", sizes[0] * 1_000_000L),
            [sizes[1]] = await LogFixture.SharedAsync(context, "log-big", sizes[1] * 1_000_000L),
        };
        var hugeDirectory = context.NewDirectory("log-huge");
        try
        {
            logs[sizes[2]] = await WriteAsync(context, hugeDirectory, hugeBytes);
            var perRecord = new ScaleSeries("fetch", "µs/record", "MB of log", sizes);
            var brokerCpu = new ScaleSeries("broker CPU per record", "µs", "MB of log", sizes);
            var start = new ScaleSeries("broker start", "ms", "MB of log", sizes);
            for (var run = 0; run < context.Runs; run++)
            {
                foreach (var size in sizes)
                {
                    var log = logs[size];
                    await using var server = await BrokerServer.StartAsync(log.DataDirectory);
                    start.Add(size, server.StartTime.TotalMilliseconds);
                    var cpu = server.CpuSeconds();
                    var (elapsed, _) = await Task.Run(() => Clients.ConsumeAll(Clients.ConsumerConfig(server.BootstrapServers), log.Topic, 1, log.Records));
                    perRecord.Add(size, elapsed.TotalMicroseconds / (log.Records - 1));
                    brokerCpu.Add(size, (server.CpuSeconds() - cpu) * 1e6 / log.Records);
                    context.Log($"run {run + 1}/{context.Runs} {log.Describe()}: {(log.Records - 1) / elapsed.TotalSeconds:N0} rec/s");
                }
            }

            return perRecord.Result(Name,
                $"{string.Join(", ", sizes.Select(s => logs[s].Describe() + $" ({logs[s].Records:N0} × {LogFixture.DefaultValueSize} B)"))}, 1 partition, one raw consumer reads all from the beginning, a fresh standalone broker (--flush durable) per read",
                context.Smoke, [brokerCpu, start],
                ["Time per record from the first record to the last. The logs were just written, so they are mostly in the page cache: this is the broker's cost, not the disk's."]);
        }
        finally
        {
            Directory.Delete(hugeDirectory, recursive: true);
        }
    }

    private static async Task<LogFixture> WriteAsync(BenchContext context, string directory, long bytes)
    {
        var records = (int)(bytes / LogFixture.DefaultValueSize);
        var topic = Clients.Topic("log-huge");
        context.Log($"writing the log-huge log: {records:N0} × {LogFixture.DefaultValueSize} B");
        await using (var server = await BrokerServer.StartAsync(directory, flush: "os", partitions: 1))
        {
            await Task.Run(() => Clients.Fill(server.BootstrapServers, topic, records, LogFixture.DefaultValueSize, partitions: 1));
        }

        return new LogFixture(directory, topic, records, LogFixture.DefaultValueSize);
    }

    /// <summary>Refuses to start when the largest log and the shared ones would not leave 5 GB free.</summary>
    private static void EnsureDiskSpace(string directory, long hugeBytes)
    {
        var free = new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
        var needed = hugeBytes + 1_100_000_000L + 5_000_000_000L;
        if (free < needed)
        {
            throw new IOException($"scale-log needs {needed / 1e9:0.#} GB free under {directory} (the {hugeBytes / 1e9:0.#} GB log, the 1 GB log, 5 GB to spare); {free / 1e9:0.#} GB are free.");
        }
    }
}
