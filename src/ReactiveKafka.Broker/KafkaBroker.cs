using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Broker.Transactions;

namespace ReactiveKafka.Broker;

/// <summary>
/// The bundled single-node Kafka broker: speaks the Kafka wire protocol on a TCP listener and keeps
/// partitions in a persistent segmented log under <see cref="BrokerOptions.DataDirectory"/>.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = "./data", Listener = "127.0.0.1:0" });
/// var config = new ProducerConfig { BootstrapServers = broker.BootstrapServers };
/// </code>
/// </example>
public sealed class KafkaBroker : IAsyncDisposable
{
    private readonly BrokerContext _context;
    private readonly IReadOnlyList<ConnectionListener> _listeners;
    private readonly ILogger _logger;
    private readonly DataDirectoryLock _dataLock;
    private int _disposed;

    private KafkaBroker(BrokerContext context, IReadOnlyList<ConnectionListener> listeners, ILogger logger, DataDirectoryLock dataLock)
    {
        _context = context;
        _listeners = listeners;
        _logger = logger;
        _dataLock = dataLock;
    }

    /// <summary>The <c>host:port</c> clients bootstrap from: the advertised address of the first listener.</summary>
    public string BootstrapServers => _listeners[0].Endpoint.Advertised;

    /// <summary>The address the first listener is bound to.</summary>
    public IPEndPoint ListenEndPoint => _listeners[0].BoundEndPoint;

    /// <summary>Every listener as it runs: name, security protocol, bound and advertised address, in the configured order.</summary>
    public IReadOnlyList<BrokerListenerInfo> Listeners => _listeners
        .Select(l => new BrokerListenerInfo(l.Endpoint.Name, l.Endpoint.SecurityProtocol, l.BoundEndPoint, l.Endpoint.Advertised))
        .ToList();

    /// <summary>The advertised <c>host:port</c> of the listener named <paramref name="listenerName"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No listener has that name.</exception>
    public string BootstrapServersOf(string listenerName) =>
        _listeners.FirstOrDefault(l => string.Equals(l.Endpoint.Name, listenerName, StringComparison.OrdinalIgnoreCase))?.Endpoint.Advertised
        ?? throw new ArgumentException($"No listener is named '{listenerName}'; the listeners are {string.Join(", ", _listeners.Select(l => l.Endpoint.Name))}.", nameof(listenerName));

    /// <summary>The options the broker runs with.</summary>
    public BrokerOptions Options => _context.Options;

    /// <summary>The cluster id, kept in the data directory across restarts.</summary>
    public string ClusterId => _context.ClusterId;

    /// <summary>Fault injection for tests: off unless turned on.</summary>
    public BrokerFaults Faults => _context.Faults;

    /// <summary>Topics and their logs (tests and the benchmarks look inside).</summary>
    internal TopicStore Topics => _context.Topics;

    /// <summary>The number of open client connections.</summary>
    public int ConnectionCount => _context.ConnectionCount;

    /// <summary>
    /// Validates <paramref name="options"/>, opens (and, after an unclean stop, recovers) the data
    /// directory, and starts listening.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="BrokerStartException">
    /// The listen address is in use (or not local), or the data directory cannot be used: not writable, a file, full,
    /// or held by another broker. The message names the address or path and the reason.
    /// </exception>
    public static async Task<KafkaBroker> StartAsync(BrokerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("ReactiveKafka.Broker");
        var configured = options.EffectiveListeners();

        // The certificate before any port: a key that does not match fails the start with nothing bound.
        var tls = configured.Any(l => l.SecurityProtocol.UsesTls()) ? ServerTls.Load(options.Tls!) : null;

        // The addresses first, then the data directory, then what it holds: a second broker started by mistake on the
        // same port or directory fails before it reads (let alone recovers) anything another broker is using.
        var sockets = new List<System.Net.Sockets.Socket>();
        DataDirectoryLock? dataLock = null;
        TopicStore? topics = null;
        var cleaner = new Storage.Cleaning.CleanerOptions
        {
            DedupeBufferSize = options.CleanerDedupeBufferSize,
            MaxIoBytesPerSecond = options.CleanerIoMaxBytesPerSecond ?? double.PositiveInfinity,
            Backoff = options.CleanerBackoff,
        };
        GroupCoordinator? groups = null;
        Storage.Producers.ProducerIdAllocator? producerIds = null;
        TransactionCoordinator? transactions = null;
        try
        {
            foreach (var listener in configured)
            {
                BrokerOptions.TryParseEndpoint(listener.Address, out var endpoint);
                sockets.Add(ListenSocket.Bind(endpoint));
            }

            dataLock = DataDirectoryLock.Acquire(options.DataDirectory);
            string clusterId;
            BrokerSecurity security;
            Security.Acls.Authorizer authorizer;
            try
            {
                clusterId = BrokerMetadataFile.LoadOrCreateClusterId(options.DataDirectory, options.ClusterId, options.NodeId);
                producerIds = Storage.Producers.ProducerIdAllocator.Open(options.DataDirectory);
                topics = await Task.Run(() => TopicStore.Open(options.DataDirectory, ToLogConfig(options), options.TimeProvider, loggerFactory, options.DefaultPartitions, options.RetentionCheckInterval, cleaner), cancellationToken).ConfigureAwait(false);
                groups = GroupCoordinator.Open(
                    options.DataDirectory,
                    new GroupCoordinatorOptions { InitialRebalanceDelay = options.GroupInitialRebalanceDelay },
                    options.TimeProvider,
                    loggerFactory.CreateLogger("ReactiveKafka.Broker.Groups"),
                    ToStateLogOptions(options));
                transactions = OpenTransactions(options, topics, groups, producerIds, loggerFactory);
                security = BrokerSecurity.Open(options, loggerFactory);
                authorizer = new Security.Acls.Authorizer(options.Authorization, Security.Acls.AclStore.Open(options.DataDirectory), loggerFactory.CreateLogger("ReactiveKafka.Broker.Authorizer"));
            }
            catch (InvalidDataException ex)
            {
                throw DataDirectoryLock.Unusable(Path.GetFullPath(options.DataDirectory), ex.Message, ex);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not BrokerStartException)
            {
                throw DataDirectoryLock.Unusable(Path.GetFullPath(options.DataDirectory), $"opening what it holds failed ({DataDirectoryLock.Describe(ex)})", ex);
            }

            var context = new BrokerContext(options, loggerFactory, new BrokerFaults(), clusterId, topics, groups, producerIds!, transactions!, security, authorizer);
            var quotas = new ConnectionQuotas(options);
            var listeners = new List<ConnectionListener>();
            for (var i = 0; i < configured.Count; i++)
            {
                var endpoint = new ListenerEndpoint(configured[i].Name, configured[i].SecurityProtocol, configured[i].SecurityProtocol.UsesTls() ? tls : null);
                var listener = new ConnectionListener(context, endpoint, sockets[i], quotas);
                (endpoint.AdvertisedHost, endpoint.AdvertisedPort) = ResolveAdvertised(configured[i].AdvertisedAddress, listener.BoundEndPoint);
                listeners.Add(listener);
            }

            context.Listeners = listeners;
            context.Faults.Attach(listeners);
            context.Handlers.RegisterAll(context);
            transactions!.Start();
            foreach (var listener in listeners)
            {
                listener.Start();
                logger.LogInformation("Broker {NodeId} listener {Listener} ({Protocol}) on {Endpoint}, advertised as {Advertised}",
                    options.NodeId, listener.Endpoint.Name, listener.Endpoint.SecurityProtocol.KafkaName(), listener.BoundEndPoint, listener.Endpoint.Advertised);
            }

            logger.LogInformation("Broker {NodeId} of cluster {ClusterId} started; {Topics} topics loaded from {DataDirectory}",
                options.NodeId, clusterId, topics.ListTopics().Count(), options.DataDirectory);
            return new KafkaBroker(context, listeners, logger, dataLock);
        }
        catch
        {
            if (transactions is not null)
            {
                await transactions.DisposeAsync().ConfigureAwait(false);
            }

            if (groups is not null)
            {
                await groups.DisposeAsync().ConfigureAwait(false);
            }

            if (topics is not null)
            {
                await topics.DisposeAsync().ConfigureAwait(false);
            }

            dataLock?.Dispose();
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private static TransactionCoordinator OpenTransactions(BrokerOptions options, TopicStore topics, GroupCoordinator groups, Storage.Producers.ProducerIdAllocator producerIds, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("ReactiveKafka.Broker.Transactions");
        var coordinatorOptions = new TransactionCoordinatorOptions
        {
            MaxTimeout = options.TransactionMaxTimeout,
            AbortTimedOutInterval = options.TransactionAbortTimedOutInterval,
            TransactionalIdExpiration = options.TransactionalIdExpiration,
            RemoveExpiredInterval = options.TransactionRemoveExpiredInterval,
        };
        return new TransactionCoordinator(TransactionStore.Open(options.DataDirectory, logger, ToStateLogOptions(options)), producerIds.Allocate,
            new PartitionMarkerWriter(topics), groups, coordinatorOptions, options.TimeProvider, logger);
    }

    /// <summary>The offsets and transaction logs follow the partitions' flush policy.</summary>
    private static Storage.StateLog.StateLogOptions ToStateLogOptions(BrokerOptions options) => new()
    {
        FlushPolicy = ToLogConfig(options).FlushPolicy,
        FlushInterval = options.FlushInterval,
    };

    private static LogConfig ToLogConfig(BrokerOptions options) => new()
    {
        SegmentBytes = options.SegmentBytes,
        SegmentMs = (long)options.SegmentAge.TotalMilliseconds,
        RetentionMs = options.Retention is { } retention ? (long)retention.TotalMilliseconds : -1,
        RetentionBytes = options.RetentionBytes ?? -1,
        MaxMessageBytes = options.MaxMessageBytes,
        FlushPolicy = options.FlushPolicy switch
        {
            BrokerFlushPolicy.Interval => FlushPolicy.Interval,
            BrokerFlushPolicy.OperatingSystem => FlushPolicy.OperatingSystem,
            _ => FlushPolicy.Durable,
        },
        FlushIntervalMs = (long)options.FlushInterval.TotalMilliseconds,
        ProducerIdExpirationMs = (long)Math.Min(options.ProducerIdExpiration.TotalMilliseconds, long.MaxValue / 2),
    };

    private static (string Host, int Port) ResolveAdvertised(string? advertised, IPEndPoint bound)
    {
        if (advertised is not null)
        {
            BrokerOptions.TryParseHostPort(advertised, out var host, out var port);
            return (host, port);
        }

        // A wildcard bind cannot be advertised: clients need an address they can dial.
        var address = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : bound.Address;
        return (address.ToString(), bound.Port);
    }

    /// <summary>Stops listening, closes client connections, and flushes and closes every log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        // Before the groups and logs it writes to: a transaction being completed is finished on the next start.
        await _context.Transactions.DisposeAsync().ConfigureAwait(false);
        await _context.Groups.DisposeAsync().ConfigureAwait(false);
        await _context.Topics.DisposeAsync().ConfigureAwait(false);
        _dataLock.Dispose();
        _logger.LogInformation("Broker stopped; data flushed to {DataDirectory}", _context.Options.DataDirectory);
    }
}
