using System.Reflection;
using ReactiveKafka.Broker.Storage;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>Reaches a running broker's partition logs, for tests that arm a storage hook (a slow fsync).</summary>
internal static class BrokerInternals
{
    private static readonly FieldInfo ContextField =
        typeof(KafkaBroker).GetField("_context", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("KafkaBroker no longer keeps its BrokerContext in _context.");

    public static PartitionLog Partition(this KafkaBroker broker, string topic, int partition) =>
        ((BrokerContext)ContextField.GetValue(broker)!).Topics.GetPartition(topic, partition)
        ?? throw new InvalidOperationException($"No partition {topic}-{partition}.");
}
