using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// Display forms shared by results and records. Confluent's <see cref="Partition"/> prints itself in brackets, so its
/// <see cref="TopicPartitionOffset"/> reads <c>orders [[1]] @0</c>; these print <c>orders [1] @0</c>.
/// </summary>
internal static class Formatting
{
    public static string Partition(Partition partition) => partition.IsSpecial ? "any" : partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string TopicPartition(string topic, Partition partition) => $"{topic} [{Partition(partition)}]";

    public static string TopicPartitionOffset(string topic, Partition partition, Offset offset) =>
        $"{TopicPartition(topic, partition)} @{(offset.IsSpecial ? offset.ToString() : offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
}
