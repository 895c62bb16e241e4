using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker;

/// <summary>
/// Fault injection on the real wire, for tests: off unless a test turns a fault on, and then the
/// connection's dispatch routes requests through <see cref="InterceptAsync"/>. When no fault is
/// armed, the hot path pays one volatile read.
/// </summary>
public sealed partial class BrokerFaults
{
    /// <summary>Whether any fault is armed.</summary>
    public bool IsActive => false;

    internal ValueTask<IKafkaMessage?> InterceptAsync(RequestContext context, IRequestHandler handler, ReadOnlyMemory<byte> body) =>
        handler.HandleAsync(context, body);
}
