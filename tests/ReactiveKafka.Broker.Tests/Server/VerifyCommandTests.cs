using System.Security.Cryptography;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary><c>reactivekafka-broker verify --data-dir DIR</c>: reports every damaged batch, changes nothing, exits 1 on damage.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private const string Topic = "verified";
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(120);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "rk-verify-" + Guid.NewGuid().ToString("N")[..8]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string PartitionDirectory => Path.Combine(_dataDirectory, Topic + "-0");

    public void Dispose() => BrokerFixture.DeleteDirectory(_dataDirectory);

    [Fact]
    public async Task Verify_UndamagedData_ExitsZeroAndChangesNothing()
    {
        await FillAsync();
        var before = Fingerprint();

        var (code, output) = await ServerProcess.RunToExitAsync(ExitTimeout, "verify", "--data-dir", _dataDirectory);

        Assert.True(code == 0, output);
        Assert.Contains("no damage found", output);
        Assert.Contains("2000 records", output);
        Assert.DoesNotContain("DAMAGED", output);
        Assert.Equal(before, Fingerprint());
    }

    [Fact]
    public async Task Verify_MalformedHeaderAndCrcMismatchInTwoSegments_ReportsBothWithPositionsAndOffsetsExitsOneChangesNothing()
    {
        await FillAsync();
        var segments = Directory.GetFiles(PartitionDirectory, "*.log").Order().ToList();
        Assert.True(segments.Count >= 3, $"Expected several segments, found {segments.Count}.");
        var (headerAt, headerVictim) = BatchAt(segments[0], 3);
        Overwrite(segments[0], headerAt + RecordBatchHeader.MagicOffset, [0x55]);
        var (crcAt, crcVictim) = BatchAt(segments[1], 2);
        Overwrite(segments[1], crcAt + RecordBatchHeader.Size + 1, [0xde, 0xad]);
        var before = Fingerprint();

        var (code, output) = await ServerProcess.RunToExitAsync(ExitTimeout, "verify", "--data-dir", _dataDirectory);

        Assert.True(code == 1, output);
        var damaged = output.Split('\n').Where(l => l.StartsWith("DAMAGED ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, damaged.Count);
        Assert.Contains($"{Topic}-0/{Path.GetFileName(segments[0])}", damaged[0]);
        Assert.Contains($"at position {headerAt}, offsets {headerVictim.BaseOffset}..{headerVictim.LastOffset}: malformed batch header", damaged[0]);
        Assert.Contains($"{Topic}-0/{Path.GetFileName(segments[1])}", damaged[1]);
        Assert.Contains($"at position {crcAt}, offsets {crcVictim.BaseOffset}..{crcVictim.LastOffset}: corrupt batch", damaged[1]);
        Assert.Contains("CRC mismatch", damaged[1]);
        Assert.Contains("2 damaged ranges found", output);
        Assert.Equal(before, Fingerprint());
    }

    [Fact]
    public async Task Verify_NoSuchDirectory_OneErrorLineExitsTwo()
    {
        var (code, output) = await ServerProcess.RunToExitAsync(ExitTimeout, "verify", "--data-dir", _dataDirectory);

        Assert.Equal(2, code);
        Assert.Contains($"error: verify {_dataDirectory}: The data directory {_dataDirectory} does not exist.", output);
    }

    private async Task FillAsync()
    {
        await using var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = _dataDirectory, Listener = "127.0.0.1:0" }, Ct);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification
            {
                Name = Topic, NumPartitions = 1, ReplicationFactor = 1, Configs = new Dictionary<string, string> { ["segment.bytes"] = "65536" },
            }]);
        }

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, BatchNumMessages = 50, LingerMs = 5 }).Build();
        for (var i = 0; i < 2000; i++)
        {
            producer.Produce(Topic, new Message<Null, string> { Value = $"value-{i:D5}-{new string('v', 80)}" });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
    }

    private static (long Position, RecordBatchHeader Header) BatchAt(string segment, int index)
    {
        var bytes = File.ReadAllBytes(segment);
        long at = 0;
        for (var i = 0; ; i++)
        {
            RecordBatchHeader.TryRead(bytes.AsSpan((int)at), out var header);
            if (i == index)
            {
                return (at, header);
            }

            at += header.TotalSize;
        }
    }

    private static void Overwrite(string path, long position, byte[] bytes)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(file, bytes, position);
    }

    // Every file's name, size, content hash and modification time under the data directory.
    private string Fingerprint() => string.Join('\n', Directory.GetFiles(_dataDirectory, "*", SearchOption.AllDirectories).Order().Select(f =>
        $"{Path.GetRelativePath(_dataDirectory, f)} {new FileInfo(f).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))} {File.GetLastWriteTimeUtc(f):O}"));
}
