using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace ReactiveKafka.Tables.Internal;

/// <summary>Checks that a table's topic exists and is compacted, and returns its partition count.</summary>
internal static class CompactedTopicCheck
{
    public static async Task<int> RequireCompactedAsync(string bootstrapServers, string topic, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        var described = metadata.Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError)
            ?? throw new InvalidOperationException($"The table topic '{topic}' does not exist. Create it with cleanup.policy=compact.");
        List<DescribeConfigsResult> configs;
        try
        {
            configs = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DescribeConfigsException error)
        {
            throw new InvalidOperationException($"The table topic '{topic}': its configuration could not be read ({error.Message}).", error);
        }

        var policy = configs.Single().Entries.TryGetValue("cleanup.policy", out var entry) ? entry.Value : "delete";
        if (!policy.Split(',').Any(p => p.Trim() == "compact"))
        {
            throw new InvalidOperationException(
                $"The table topic '{topic}' is not compacted (cleanup.policy={policy}): a table needs the latest value of every key, which only cleanup.policy=compact keeps (retention would delete keys). Create the topic with cleanup.policy=compact, or alter it.");
        }

        return described.Partitions.Count;
    }
}
