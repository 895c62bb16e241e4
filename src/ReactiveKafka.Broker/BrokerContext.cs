using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Handlers;

namespace ReactiveKafka.Broker;

/// <summary>The broker's shared services, handed to connections and handlers.</summary>
internal sealed class BrokerContext
{
    public BrokerContext(BrokerOptions options, ILoggerFactory loggerFactory, BrokerFaults faults)
    {
        Options = options;
        LoggerFactory = loggerFactory;
        Faults = faults;
    }

    /// <summary>The validated options.</summary>
    public BrokerOptions Options { get; }

    /// <summary>Where logs go.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The handlers by API key.</summary>
    public HandlerRegistry Handlers { get; } = new();

    /// <summary>Fault injection, off by default.</summary>
    public BrokerFaults Faults { get; }
}
