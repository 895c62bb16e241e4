using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Fetch bandwidth with 1 MiB records (raw consumer, from the beginning) vs plain loopback TCP bandwidth between two
/// sockets of this process, measured alternately in the same run.
/// </summary>
public sealed class LargeRecordsScenario : IScenario
{
    private const int RecordSize = 1024 * 1024;

    public string Name => "large-records";

    public string Description => "fetch bandwidth with 1 MiB records vs loopback TCP bandwidth";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var records = context.Settings.Size(256, 8);
        await using var broker = await BrokerServer.StartAsync(
            context.NewDirectory("large-records"), flush: "os", extraArguments: ["--max-message-bytes", (4 * RecordSize).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var brokerCpu = new List<double>();
        var topic = Clients.Topic("large");
        context.Log($"filling {records} × 1 MiB");
        Clients.Fill(broker.BootstrapServers, topic, records, RecordSize, partitions: 1);

        Task<double> Fetch(int run) => Task.Run(() =>
        {
            var cpuBefore = broker.CpuSeconds();
            var config = Clients.ConsumerConfig(broker.BootstrapServers);
            config.FetchMaxBytes = 64 * 1024 * 1024;
            config.MaxPartitionFetchBytes = 16 * 1024 * 1024;
            var (elapsed, bytes) = Clients.ConsumeAll(config, topic, 1, records);
            if (run >= 0)
            {
                brokerCpu.Add(broker.CpuSeconds() - cpuBefore);
            }

            // The clock starts at the first record: count the bytes after it.
            return (bytes - RecordSize) / elapsed.TotalSeconds / (1024 * 1024);
        });

        Task<double> Loopback(int run) => LoopbackAsync((long)records * RecordSize);

        var (a, b, ratios) = await context.AlternateAsync("fetch", Fetch, "loopback TCP", Loopback, warmups: context.Smoke ? 0 : 1);
        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{records} × 1 MiB records ({records} MiB per run), 1 partition, standalone broker --flush os; loopback: same bytes in 1 MiB writes",
            A = new SideResult("fetch", "MiB/s", a),
            B = new SideResult("loopback TCP", "MiB/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.3",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.3,
            Notes =
            {
                "fetch.max.bytes 64 MiB, max.partition.fetch.bytes 16 MiB; the broker is the standalone server with --max-message-bytes 4 MiB.",
                $"Broker process CPU per fetch run (median): {Stats.Median(brokerCpu.ToArray()):0.00} s.",
            },
        };
    }

    /// <summary>Bandwidth of one loopback TCP connection: a writer task sends 1 MiB buffers, this side reads them.</summary>
    private static async Task<double> LoopbackAsync(long total)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var server = await accept;
        var writer = Task.Run(async () =>
        {
            var buffer = Clients.Payload(RecordSize);
            var stream = client.GetStream();
            for (long sent = 0; sent < total; sent += buffer.Length)
            {
                await stream.WriteAsync(buffer);
            }
        });
        var read = new byte[RecordSize];
        var stream = server.GetStream();
        var received = 0L;
        var clock = Stopwatch.StartNew();
        while (received < total)
        {
            var n = await stream.ReadAsync(read);
            if (n == 0)
            {
                break;
            }

            received += n;
        }

        var elapsed = clock.Elapsed;
        await writer;
        return received / elapsed.TotalSeconds / (1024 * 1024);
    }
}
