using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>A data directory holding one topic of a given size, written once through the standalone server.</summary>
public sealed record LogFixture(string DataDirectory, string Topic, int Records, int ValueSize)
{
    public const int DefaultValueSize = 1024;

    public long Bytes => (long)Records * ValueSize;

    public string Describe() => Bytes >= 1L << 30 ? $"{Bytes / (double)(1L << 30):0.##} GiB" : $"{Bytes / (double)(1 << 20):0.#} MiB";

    /// <summary>The shared log of <paramref name="bytes"/> (1 KiB records, 1 partition): created on first use.</summary>
    public static Task<LogFixture> SharedAsync(BenchContext context, string key, long bytes) =>
        context.SharedAsync(key, async () =>
        {
            var directory = context.NewDirectory(key);
            var records = (int)Math.Max(1, bytes / DefaultValueSize);
            var topic = Clients.Topic(key);
            context.Log($"writing the {key} log: {records:N0} × {DefaultValueSize} B");
            await using (var server = await BrokerServer.StartAsync(directory, flush: "os", partitions: 1))
            {
                await Task.Run(() => Clients.Fill(server.BootstrapServers, topic, records, DefaultValueSize, partitions: 1));
            }

            return new LogFixture(directory, topic, records, DefaultValueSize);
        });
}
