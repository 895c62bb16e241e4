using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>Topic creation for the scale scenarios (through a real admin client, as a user would).</summary>
internal static class Admin
{
    public static IAdminClient Client(string bootstrapServers) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions and waits for the answer.</summary>
    public static async Task CreateTopicAsync(string bootstrapServers, string topic, int partitions)
    {
        using var admin = Client(bootstrapServers);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = TimeSpan.FromMinutes(2) });
    }
}
