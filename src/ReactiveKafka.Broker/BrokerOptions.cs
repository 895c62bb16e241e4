using System.Net;
using ReactiveKafka.Broker.Security;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker;

/// <summary>
/// How the bundled broker runs: where it stores data, where it listens, and the defaults of the topics
/// it creates. Validated by <see cref="KafkaBroker.StartAsync"/>; an invalid value fails the start with
/// an <see cref="ArgumentException"/> that names the option.
/// </summary>
public sealed record BrokerOptions
{
    /// <summary>The directory holding topics, segments and committed offsets. Required; created if missing.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>The <c>host:port</c> to listen on. Port 0 picks a free port. Default <c>127.0.0.1:9092</c>.</summary>
    public string Listener { get; init; } = "127.0.0.1:9092";

    /// <summary>
    /// The <c>host:port</c> clients are told to connect to (Metadata, FindCoordinator). Default: the bound
    /// listener address. Set it when the broker sits behind a port mapping (e.g. in a container).
    /// </summary>
    public string? AdvertisedListener { get; init; }

    /// <summary>
    /// Several named listeners at once, each with its own port, security protocol and advertised address (Kafka's
    /// <c>listeners</c>, <c>advertised.listeners</c>, <c>listener.security.protocol.map</c>; see
    /// <see cref="BrokerListener.Parse"/>). When set, <see cref="Listener"/> and <see cref="AdvertisedListener"/> are not
    /// used; the first listener is the one <see cref="KafkaBroker.BootstrapServers"/> names. Default null: one
    /// PLAINTEXT listener on <see cref="Listener"/>.
    /// </summary>
    public IReadOnlyList<BrokerListener>? Listeners { get; init; }

    /// <summary>The broker's certificate and TLS settings; required when a listener is SSL or SASL_SSL. Default null.</summary>
    public BrokerTlsOptions? Tls { get; init; }

    /// <summary>The SASL mechanisms and users; required (with users or OAUTHBEARER) when a listener is SASL_PLAINTEXT or SASL_SSL. Default null.</summary>
    public BrokerSaslOptions? Sasl { get; init; }

    /// <summary>ACL authorization (super users, <c>allow.everyone.if.no.acl.found</c>); null (the default) allows everything.</summary>
    public BrokerAuthorizationOptions? Authorization { get; init; }

    /// <summary>The broker's node id. Default 1.</summary>
    public int NodeId { get; init; } = 1;

    /// <summary>The cluster id reported in Metadata. Default: persisted in the data directory, generated once.</summary>
    public string? ClusterId { get; init; }

    /// <summary>Whether Metadata and Produce requests for unknown topics create them. Default true.</summary>
    public bool AutoCreateTopics { get; init; } = true;

    /// <summary>The partition count of auto-created topics. Default 1.</summary>
    public int DefaultPartitions { get; init; } = 1;

    /// <summary>The size at which a segment is rolled (<c>segment.bytes</c>). Default 1 GiB.</summary>
    public int SegmentBytes { get; init; } = 1 << 30;

    /// <summary>The age at which a segment is rolled (<c>segment.ms</c>). Default 7 days.</summary>
    public TimeSpan SegmentAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long records are kept (<c>retention.ms</c>); null keeps them forever. Default 7 days.</summary>
    public TimeSpan? Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The size a partition may grow to before old segments are deleted (<c>retention.bytes</c>); null for no limit.</summary>
    public long? RetentionBytes { get; init; }

    /// <summary>How often retention is applied. Default 5 minutes, like Kafka's <c>log.retention.check.interval.ms</c>.</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The most memory the log cleaner's offset map takes for one clean of a compacted topic
    /// (<c>log.cleaner.dedupe.buffer.size</c>; 24 bytes per key). A clean allocates only what its dirty records can
    /// need, up to this; more keys are cleaned over several rounds. Default 128 MiB, as Kafka.
    /// </summary>
    public long CleanerDedupeBufferSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>The log cleaner's I/O limit, reads plus writes (<c>log.cleaner.io.max.bytes.per.second</c>); null for none (the default).</summary>
    public double? CleanerIoMaxBytesPerSecond { get; init; }

    /// <summary>How long the log cleaner sleeps when no compacted topic needs cleaning (<c>log.cleaner.backoff.ms</c>). Default 15 s.</summary>
    public TimeSpan CleanerBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a partition remembers an idempotent producer that has not written (Kafka's
    /// <c>producer.id.expiration.ms</c>; judged by its last batch's timestamp, checked at each retention pass): after it,
    /// the producer's sequence is no longer checked there, so its retries are no longer recognised. A producer with an
    /// open transaction never expires. Default 1 day, as Kafka.
    /// </summary>
    public TimeSpan ProducerIdExpiration { get; init; } = TimeSpan.FromDays(1);

    /// <summary>When appended data is forced to disk. Default <see cref="BrokerFlushPolicy.Durable"/>.</summary>
    public BrokerFlushPolicy FlushPolicy { get; init; } = BrokerFlushPolicy.Durable;

    /// <summary>The fsync interval when <see cref="FlushPolicy"/> is <see cref="BrokerFlushPolicy.Interval"/>. Default 1 s.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest request frame accepted (<c>socket.request.max.bytes</c>). Default 100 MiB.</summary>
    public int MaxRequestSize { get; init; } = 100 * 1024 * 1024;

    /// <summary>The largest record batch accepted (<c>message.max.bytes</c>). Default 1 MiB + 12 bytes, as Kafka.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary>The number of client connections served at once; more are refused. Default 1000.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>
    /// The number of connections one client address may hold (Kafka's <c>max.connections.per.ip</c>); more are refused
    /// at once. Default <see cref="int.MaxValue"/>, as Kafka. 0 is allowed only with overrides (every other address is
    /// then refused).
    /// </summary>
    public int MaxConnectionsPerIp { get; init; } = int.MaxValue;

    /// <summary>
    /// Per-address exceptions to <see cref="MaxConnectionsPerIp"/> (Kafka's <c>max.connections.per.ip.overrides</c>),
    /// keyed by IP address (Kafka also takes host names; this broker only addresses). Default none.
    /// </summary>
    public IReadOnlyDictionary<string, int>? MaxConnectionsPerIpOverrides { get; init; }

    /// <summary>
    /// How long a connection may be idle (nothing read, nothing written, no request in progress) before the broker
    /// closes it (Kafka's <c>connections.max.idle.ms</c>). Null never closes idle connections. Default 10 minutes, as Kafka.
    /// </summary>
    public TimeSpan? ConnectionsMaxIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a request may stay partly received (from the read that brings its first bytes until it is whole) before
    /// the broker closes the connection: a client trickling bytes is otherwise never idle. Kafka has no such setting
    /// (its idle timer counts any byte as activity). Null for no deadline. Default 60 s, librdkafka's default
    /// <c>socket.timeout.ms</c>: no client waits longer than that for a request to be answered.
    /// </summary>
    public TimeSpan? PartialRequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a new consumer group waits for more members before its first rebalance, extended while
    /// more keep joining (<c>group.initial.rebalance.delay.ms</c>). Default 3 s, as Kafka: members started
    /// together then share the first generation. With 0 (as Kafka's quickstart config and Testcontainers
    /// set it) each later member forces another rebalance, which an eager member only completes when its
    /// application polls; a member that is not polled holds the others' join for up to its
    /// <c>max.poll.interval.ms</c> (5 min by default).
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The largest <c>transaction.timeout.ms</c> a transactional producer may ask for (Kafka's
    /// <c>transaction.max.timeout.ms</c>); InitProducerId above it fails with INVALID_TRANSACTION_TIMEOUT. Default 15 minutes.
    /// </summary>
    public TimeSpan TransactionMaxTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often the transaction coordinator aborts transactions older than their timeout (Kafka's
    /// <c>transaction.abort.timed.out.transaction.cleanup.interval.ms</c>). Default 10 s.
    /// </summary>
    public TimeSpan TransactionAbortTimedOutInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a transactional id without a transaction is remembered after its last use (Kafka's
    /// <c>transactional.id.expiration.ms</c>); a producer that returns later gets a new producer id. Default 7 days.
    /// </summary>
    public TimeSpan TransactionalIdExpiration { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How often expired transactional ids are removed (Kafka's <c>transaction.remove.expired.transaction.cleanup.interval.ms</c>).
    /// Default 1 hour.
    /// </summary>
    public TimeSpan TransactionRemoveExpiredInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The logger factory for the broker's logs. Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock, replaceable in tests. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The listeners the broker runs: <see cref="Listeners"/>, or one PLAINTEXT listener made of <see cref="Listener"/> and <see cref="AdvertisedListener"/>.</summary>
    public IReadOnlyList<BrokerListener> EffectiveListeners() =>
        Listeners ?? [new BrokerListener("PLAINTEXT", Listener) { AdvertisedAddress = AdvertisedListener }];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw Invalid(nameof(DataDirectory), "is required: the directory where partitions and offsets are stored.");
        }

        if (Listeners is null)
        {
            if (!TryParseEndpoint(Listener, out _))
            {
                throw Invalid(nameof(Listener), $"'{Listener}' is not a host:port with a port from 0 to 65535.");
            }

            if (AdvertisedListener is not null && (!TryParseHostPort(AdvertisedListener, out _, out var advertisedPort) || advertisedPort == 0))
            {
                throw Invalid(nameof(AdvertisedListener), $"'{AdvertisedListener}' is not a host:port with a port from 1 to 65535.");
            }
        }
        else
        {
            SecurityValidation.ValidateListeners(Listeners);
        }

        SecurityValidation.ValidateSecurity(this);

        if (NodeId < 0)
        {
            throw Invalid(nameof(NodeId), $"must be 0 or more, was {NodeId}.");
        }

        if (DefaultPartitions is < 1 or > 10_000)
        {
            throw Invalid(nameof(DefaultPartitions), $"must be from 1 to 10000, was {DefaultPartitions}.");
        }

        if (SegmentBytes < 14 * 1024)
        {
            throw Invalid(nameof(SegmentBytes), $"must be at least 14336 bytes (Kafka's minimum), was {SegmentBytes}.");
        }

        if (SegmentAge <= TimeSpan.Zero)
        {
            throw Invalid(nameof(SegmentAge), $"must be positive, was {SegmentAge}.");
        }

        if (Retention is { } retention && retention <= TimeSpan.Zero)
        {
            throw Invalid(nameof(Retention), $"must be positive or null (keep forever), was {retention}.");
        }

        if (RetentionBytes is { } retentionBytes && retentionBytes <= 0)
        {
            throw Invalid(nameof(RetentionBytes), $"must be positive or null (no limit), was {retentionBytes}.");
        }

        if (RetentionCheckInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(RetentionCheckInterval), $"must be positive, was {RetentionCheckInterval}.");
        }

        if (CleanerDedupeBufferSize < 1024)
        {
            throw Invalid(nameof(CleanerDedupeBufferSize), $"must be at least 1024 bytes, was {CleanerDedupeBufferSize}.");
        }

        if (CleanerIoMaxBytesPerSecond is { } cleanerRate && !(cleanerRate > 0))
        {
            throw Invalid(nameof(CleanerIoMaxBytesPerSecond), $"must be positive or null (no limit), was {cleanerRate}.");
        }

        if (ProducerIdExpiration <= TimeSpan.Zero)
        {
            throw Invalid(nameof(ProducerIdExpiration), $"must be positive, was {ProducerIdExpiration}.");
        }

        if (CleanerBackoff <= TimeSpan.Zero)
        {
            throw Invalid(nameof(CleanerBackoff), $"must be positive, was {CleanerBackoff}.");
        }

        if (!Enum.IsDefined(FlushPolicy))
        {
            throw Invalid(nameof(FlushPolicy), $"'{FlushPolicy}' is not a flush policy.");
        }

        if (FlushInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(FlushInterval), $"must be positive, was {FlushInterval}.");
        }

        if (MaxRequestSize is < 1024)
        {
            throw Invalid(nameof(MaxRequestSize), $"must be at least 1024 bytes, was {MaxRequestSize}.");
        }

        if (MaxMessageBytes < 1024 || MaxMessageBytes > MaxRequestSize)
        {
            throw Invalid(nameof(MaxMessageBytes), $"must be from 1024 bytes to MaxRequestSize ({MaxRequestSize}), was {MaxMessageBytes}.");
        }

        if (MaxConnections < 1)
        {
            throw Invalid(nameof(MaxConnections), $"must be at least 1, was {MaxConnections}.");
        }

        if (MaxConnectionsPerIp < 0 || (MaxConnectionsPerIp == 0 && MaxConnectionsPerIpOverrides is not { Count: > 0 }))
        {
            throw Invalid(nameof(MaxConnectionsPerIp), $"must be at least 1, or 0 with MaxConnectionsPerIpOverrides, was {MaxConnectionsPerIp}.");
        }

        foreach (var (address, limit) in MaxConnectionsPerIpOverrides ?? new Dictionary<string, int>())
        {
            if (!IPAddress.TryParse(address, out _))
            {
                throw Invalid(nameof(MaxConnectionsPerIpOverrides), $"key '{address}' is not an IP address.");
            }

            if (limit < 0)
            {
                throw Invalid(nameof(MaxConnectionsPerIpOverrides), $"the limit of {address} must be 0 or more, was {limit}.");
            }
        }

        if (ConnectionsMaxIdle is { } idle && idle <= TimeSpan.Zero)
        {
            throw Invalid(nameof(ConnectionsMaxIdle), $"must be positive or null (never close idle connections), was {idle}.");
        }

        if (PartialRequestTimeout is { } partial && partial <= TimeSpan.Zero)
        {
            throw Invalid(nameof(PartialRequestTimeout), $"must be positive or null (no deadline), was {partial}.");
        }

        if (GroupInitialRebalanceDelay < TimeSpan.Zero)
        {
            throw Invalid(nameof(GroupInitialRebalanceDelay), $"must not be negative, was {GroupInitialRebalanceDelay}.");
        }

        if (TransactionMaxTimeout < TimeSpan.FromMilliseconds(1) || TransactionMaxTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw Invalid(nameof(TransactionMaxTimeout), $"must be from 1 ms to {int.MaxValue} ms (transaction.timeout.ms is an int32), was {TransactionMaxTimeout}.");
        }

        if (TransactionAbortTimedOutInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(TransactionAbortTimedOutInterval), $"must be positive, was {TransactionAbortTimedOutInterval}.");
        }

        if (TransactionalIdExpiration <= TimeSpan.Zero)
        {
            throw Invalid(nameof(TransactionalIdExpiration), $"must be positive, was {TransactionalIdExpiration}.");
        }

        if (TransactionRemoveExpiredInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(TransactionRemoveExpiredInterval), $"must be positive, was {TransactionRemoveExpiredInterval}.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    internal static ArgumentException Invalid(string option, string problem) =>
        new($"BrokerOptions.{option} {problem}", option);

    internal static bool TryParseEndpoint(string value, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (!TryParseHostPort(value, out var host, out var port))
        {
            return false;
        }

        if (host is "localhost")
        {
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    internal static bool TryParseHostPort(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return host.Length > 0 && int.TryParse(value.AsSpan(colon + 1), out port) && port is >= 0 and <= 65535;
    }
}
