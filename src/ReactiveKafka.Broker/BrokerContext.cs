using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Handlers;
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
    TransactionCoordinator transactions)
{
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

    /// <summary>The transaction coordinator: transactional ids, their producer ids and epochs, and their transactions.</summary>
    public TransactionCoordinator Transactions { get; } = transactions;

    /// <summary>The address clients are told to connect to; set once the listener is bound.</summary>
    public (string Host, int Port) AdvertisedEndpoint { get; set; }
}
