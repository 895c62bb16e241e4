using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// kill -9 of the standalone server during heavy OffsetCommit traffic while its offsets log compacts: after each
/// restart every acknowledged commit's latest value is there (or a later one that was written but not yet answered).
/// </summary>
public sealed class OffsetsCrashTests : IDisposable
{
    private const int Loops = 3;
    private const int Committers = 2;
    private const int PartitionsPerCommitter = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-offsets-crash-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => BrokerFixture.DeleteDirectory(_dataDirectory);

    [Fact]
    public async Task KillDuringCommitTrafficAndCompaction_Restart_EveryAcknowledgedCommitIsThere()
    {
        const string topic = "offsets-crash";
        const string group = "offsets-crash-group";
        var offsetsLog = Path.Combine(_dataDirectory, OffsetStore.DirectoryName, OffsetStore.FileName);
        var listen = $"127.0.0.1:{FreePort()}";
        var acknowledged = new long[Committers];
        var attempted = new long[Committers];
        var server = await ServerProcess.StartAsync(_dataDirectory, listen);
        try
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = Committers * PartitionsPerCommitter, ReplicationFactor = 1 }]);
            }

            for (var loop = 0; loop < Loops; loop++)
            {
                using var stop = new CancellationTokenSource();
                var compactions = 0;
                var committers = Enumerable.Range(0, Committers)
                    .Select(c => Task.Run(() => Commit(server.BootstrapServers, topic, group, c, acknowledged, attempted, stop.Token), TestContext.Current.CancellationToken))
                    .ToList();

                // Heavy traffic until the running broker compacted its offsets log a few times, then kill it mid-stream.
                var previous = 0L;
                var deadline = DateTime.UtcNow + Timeout;
                while (compactions < 3 + loop && DateTime.UtcNow < deadline && !committers.Any(t => t.IsCompleted))
                {
                    var length = File.Exists(offsetsLog) ? new FileInfo(offsetsLog).Length : 0;
                    compactions += length < previous ? 1 : 0;
                    previous = length;
                    await Task.Delay(5, TestContext.Current.CancellationToken);
                }

                Assert.True(compactions >= 3 + loop, $"Loop {loop}: {compactions} compactions seen before the deadline. Output:\n{server.Output}");
                server.Kill();
                await stop.CancelAsync();
                server.Dispose();

                // A commit in flight at the kill may be retried against the restarted server; wait for it to end either way.
                server = await ServerProcess.StartAsync(_dataDirectory, listen);
                await Task.WhenAll(committers).WaitAsync(Timeout, TestContext.Current.CancellationToken);
                using var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = server.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
                var committed = reader.Committed(Enumerable.Range(0, Committers * PartitionsPerCommitter).Select(p => new TopicPartition(topic, p)), Timeout);
                foreach (var offset in committed)
                {
                    var committer = offset.Partition.Value / PartitionsPerCommitter;
                    var expected = Expected(acknowledged[committer], offset.Partition.Value);
                    Assert.True(
                        offset.Offset.Value >= expected && offset.Offset.Value <= Expected(attempted[committer], offset.Partition.Value),
                        $"Loop {loop}, partition {offset.Partition.Value}: committed {offset.Offset.Value}, acknowledged {expected}, attempted up to {Expected(attempted[committer], offset.Partition.Value)}");
                }

                Assert.All(acknowledged, a => Assert.True(a > 0, "A committer never had a commit acknowledged."));

                reader.Close();
            }
        }
        finally
        {
            server.Dispose();
        }
    }

    /// <summary>The offset round <paramref name="round"/> commits to <paramref name="partition"/>.</summary>
    private static long Expected(long round, int partition) => round * 100 + partition;

    /// <summary>Commits rounds 1, 2, … to the committer's partitions until the broker dies or <paramref name="stop"/>.</summary>
    private static void Commit(string bootstrap, string topic, string group, int committer, long[] acknowledged, long[] attempted, CancellationToken stop)
    {
        var partitions = Enumerable.Range(committer * PartitionsPerCommitter, PartitionsPerCommitter).Select(p => new TopicPartition(topic, p)).ToList();
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            EnableAutoCommit = false,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 200,
        }).Build();
        while (!stop.IsCancellationRequested)
        {
            var round = Volatile.Read(ref attempted[committer]) + 1;
            Volatile.Write(ref attempted[committer], round);
            try
            {
                consumer.Commit(partitions.Select(p => new TopicPartitionOffset(p, Expected(round, p.Partition.Value))));
            }
            catch (KafkaException)
            {
                return; // The broker was killed: this commit may or may not have been written.
            }

            Volatile.Write(ref acknowledged[committer], round);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
