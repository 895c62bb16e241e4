using System.Reflection;
using ReactiveKafka.Broker.Transactions;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>Reaches a running broker's transaction coordinator, to wait on its state instead of sleeping.</summary>
internal static class TransactionInternals
{
    private static readonly FieldInfo ContextField =
        typeof(KafkaBroker).GetField("_context", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("KafkaBroker no longer keeps its BrokerContext in _context.");

    public static TransactionCoordinator Transactions(this KafkaBroker broker) => ((BrokerContext)ContextField.GetValue(broker)!).Transactions;
}
