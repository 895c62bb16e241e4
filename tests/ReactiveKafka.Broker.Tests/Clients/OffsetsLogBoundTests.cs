using Confluent.Kafka;
using ReactiveKafka.Broker.Groups;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// The broker's <c>__consumer_offsets</c> file on a long-running broker: every OffsetCommit appends, and compaction
/// while running keeps the file bounded by its live offsets, not by the commits ever made.
/// </summary>
public sealed class OffsetsLogBoundTests
{
    private const int Partitions = 10;
    private const int Rounds = 2000; // 20,000 commits over 10 keys

    /// <summary>Twice the compaction threshold (64 KiB): what the file may reach before a compaction brings it back.</summary>
    private const long Bound = 128 * 1024;

    [Fact]
    public async Task OffsetCommit_20kCommitsOver10Partitions_FileStaysBoundedAndOffsetFetchAnswersTheLatest_AlsoAfterRestart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-offsets-bound-" + Guid.NewGuid().ToString("N"));
        var offsetsLog = Path.Combine(directory, OffsetStore.DirectoryName, OffsetStore.FileName);
        var topic = BrokerFixture.NewTopic();
        var group = BrokerFixture.NewGroup();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)).ToList();
        try
        {
            long largest = 0;
            long shrinks = 0;
            await using (var broker = await StartAsync(directory))
            {
                using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
                {
                    await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
                }

                using var consumer = NewConsumer(broker.BootstrapServers, group);
                long previous = 0;
                for (var round = 1; round <= Rounds; round++)
                {
                    consumer.Commit(partitions.Select(p => new TopicPartitionOffset(p, round * 10L + p.Partition.Value)));
                    var length = new FileInfo(offsetsLog).Length;
                    largest = Math.Max(largest, length);
                    shrinks += length < previous ? 1 : 0;
                    previous = length;
                }

                Assert.True(largest < Bound, $"The offsets file reached {largest} bytes.");
                Assert.True(shrinks >= 5, $"The offsets file was compacted {shrinks} times while running.");
                AssertLatest(consumer.Committed(partitions, TimeSpan.FromSeconds(10)));
                consumer.Close();
            }

            await using (var restarted = await StartAsync(directory))
            {
                Assert.True(new FileInfo(offsetsLog).Length < Bound, $"{new FileInfo(offsetsLog).Length} bytes after restart");
                using var consumer = NewConsumer(restarted.BootstrapServers, group);
                AssertLatest(consumer.Committed(partitions, TimeSpan.FromSeconds(10)));
                consumer.Close();
            }

            TestContext.Current.SendDiagnosticMessage($"offsets file: largest {largest} bytes over {Rounds * Partitions} commits, {shrinks} compactions seen");
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    private static void AssertLatest(List<TopicPartitionOffset> committed) =>
        Assert.Equal(
            Enumerable.Range(0, Partitions).Select(p => Rounds * 10L + p),
            committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value));

    private static Task<KafkaBroker> StartAsync(string directory) =>
        KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = directory, Listener = "127.0.0.1:0" }, TestContext.Current.CancellationToken);

    private static IConsumer<Ignore, Ignore> NewConsumer(string bootstrap, string group) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false }).Build();
}
