using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Transactions;

namespace ReactiveKafka.Broker;

/// <summary>The broker's shared services, handed to connections and handlers.</summary>
internal sealed class BrokerContext(
    BrokerOptions options,
    ILoggerFactory loggerFactory,
    BrokerFaults faults,
    string clusterId,
    TopicStore topics,
    GroupCoordinator groups,
    Storage.Producers.ProducerIdAllocator producerIds,
    TransactionCoordinator transactions,
    BrokerSecurity security,
    Security.Acls.Authorizer authorizer)
{
    private long _nextConnectionId;

    /// <summary>The validated options.</summary>
    public BrokerOptions Options { get; } = options;

    /// <summary>Where logs go.</summary>
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    /// <summary>The handlers by API key.</summary>
    public HandlerRegistry Handlers { get; } = new();

    /// <summary>Fault injection, off by default.</summary>
    public BrokerFaults Faults { get; } = faults;

    /// <summary>The cluster id reported to clients.</summary>
    public string ClusterId { get; } = clusterId;

    /// <summary>Topics and their partition logs.</summary>
    public TopicStore Topics { get; } = topics;

    /// <summary>The classic consumer-group coordinator and committed offsets.</summary>
    public GroupCoordinator Groups { get; } = groups;

    /// <summary>Producer ids for InitProducerId (idempotent and transactional producers), never reused.</summary>
    public Storage.Producers.ProducerIdAllocator ProducerIds { get; } = producerIds;

    /// <summary>The transaction coordinator: transactional ids, their producer ids and epochs, and their transactions.</summary>
    public TransactionCoordinator Transactions { get; } = transactions;

    /// <summary>Authentication: SASL settings and the stored SCRAM credentials.</summary>
    public BrokerSecurity Security { get; } = security;

    /// <summary>ACL checks (allowing everything when authorization is off) and the ACL store.</summary>
    public Security.Acls.Authorizer Authorizer { get; } = authorizer;

    /// <summary>The listeners, in the order configured; set once they are bound.</summary>
    public IReadOnlyList<ConnectionListener> Listeners { get; set; } = [];

    /// <summary>The open client connections of every listener (<see cref="BrokerOptions.MaxConnections"/> counts them all).</summary>
    public int ConnectionCount => Listeners.Sum(l => l.ConnectionCount);

    /// <summary>A connection number unique across the listeners, for logs.</summary>
    public long NextConnectionId() => Interlocked.Increment(ref _nextConnectionId);
}
