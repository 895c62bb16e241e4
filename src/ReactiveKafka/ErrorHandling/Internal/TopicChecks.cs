using Confluent.Kafka;

namespace ReactiveKafka.ErrorHandling.Internal;

/// <summary>Checks that the topics an operator writes to exist, so that a typo fails loudly instead of auto-creating a topic.</summary>
internal static class TopicChecks
{
    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> naming the first of <paramref name="topics"/> the cluster does
    /// not have. Lists all topics (a metadata request for named topics may auto-create them on some brokers).
    /// </summary>
    /// <param name="admin">An admin client of the cluster.</param>
    /// <param name="topics">The topics and what each is for (shown in the message).</param>
    /// <returns>The partition count of each topic.</returns>
    public static Dictionary<string, int> RequireExisting(IAdminClient admin, IEnumerable<(string Topic, string Role)> topics)
    {
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        var known = metadata.Topics
            .Where(static t => !t.Error.IsError)
            .ToDictionary(static t => t.Topic, static t => t.Partitions.Count, StringComparer.Ordinal);
        foreach (var (topic, role) in topics)
        {
            if (!known.ContainsKey(topic))
            {
                throw new InvalidOperationException(
                    $"The {role} '{topic}' does not exist. Create it first (with as many partitions as the topic it serves); it is not created on the fly, so that a misspelt name fails here instead of writing to a new topic nobody reads.");
            }
        }

        return known;
    }
}
