using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker;

namespace ReactiveKafka.Broker.Server;

/// <summary>The standalone server's command line.</summary>
internal sealed record ServerArguments
{
    public const string HelpText = """
        reactivekafka-broker: the ReactiveKafka bundled single-node Kafka broker.

        Usage: reactivekafka-broker [options]
               reactivekafka-broker verify --data-dir DIR
                                      check every batch's CRC and every index, change nothing, report damage
                                      (exit 1 when found); see verify --help
        Install: dotnet tool install -g reactivekafka-broker (or, in the repository,
                 dotnet run --project src/ReactiveKafka.Broker.Server -- [options])

          --data-dir DIR              where topics and offsets are stored (default ./data)
          --listen HOST:PORT          address to listen on (default 127.0.0.1:9092; port 0 = any free port)
          --advertised HOST:PORT      address given to clients (default: the listen address)
          --node-id N                 broker node id (default 1)
          --partitions N              partitions of auto-created topics (default 1)
          --no-auto-create            do not create topics on first use
          --segment-bytes N           roll segments at this size (default 1073741824)
          --retention-ms N            delete segments older than this; -1 keeps forever (default 604800000)
          --retention-bytes N         keep at most this many bytes per partition; -1 for no limit (default -1)
          --cleaner-dedupe-buffer-bytes N
                                      most memory of the compaction offset map, 24 bytes a key (default 134217728)
          --cleaner-io-max-bytes-per-second N
                                      log cleaner read+write limit; -1 for none (default -1)
          --cleaner-backoff-ms N      log cleaner sleep when no compacted topic is dirty (default 15000)
          --flush durable|interval|os when data is fsync'd (default durable: acks=all survives kill -9)
          --flush-interval-ms N       fsync interval for --flush interval (default 1000)
                                      durable: a write (acks=1 too) is visible to consumers and ListOffsets once
                                      fsync'd, milliseconds after it is appended; a ListOffsets waits for that fsync
          --max-request-bytes N       largest request accepted (default 104857600)
          --max-message-bytes N       largest record batch accepted (default 1048588)
          --max-connections N         most client connections at once (default 1000)
          --max-connections-per-ip N  most connections from one client address (Kafka's max.connections.per.ip;
                                      default 2147483647, i.e. no limit); 0 only with overrides
          --max-connections-per-ip-overrides IP:N[,IP:N...]
                                      per-address limits (Kafka's max.connections.per.ip.overrides; addresses only)
          --connections-max-idle-ms N close connections idle this long: nothing read or written, no request in
                                      progress (Kafka's connections.max.idle.ms; default 600000); -1 never
          --partial-request-timeout-ms N
                                      close a connection whose request stays partly received this long, e.g. a
                                      client sending a byte a second (no Kafka twin: Kafka's idle timer counts any
                                      byte as activity; default 60000, librdkafka's socket.timeout.ms); -1 never
          --group-initial-rebalance-delay-ms N  how long a new group waits for more members (default 3000, as Kafka)
          --log-level LEVEL           trace|debug|information|warning|error (default information)
          --help                      show this text
        """;

    public bool ShowHelp { get; init; }

    public string DataDirectory { get; init; } = "./data";

    public string Listen { get; init; } = "127.0.0.1:9092";

    public string? Advertised { get; init; }

    public int NodeId { get; init; } = 1;

    public int Partitions { get; init; } = 1;

    public bool AutoCreate { get; init; } = true;

    public int SegmentBytes { get; init; } = 1 << 30;

    public long RetentionMs { get; init; } = (long)TimeSpan.FromDays(7).TotalMilliseconds;

    public long RetentionBytes { get; init; } = -1;

    public long CleanerDedupeBufferBytes { get; init; } = 128L * 1024 * 1024;

    public long CleanerIoMaxBytesPerSecond { get; init; } = -1;

    public long CleanerBackoffMs { get; init; } = 15_000;

    public BrokerFlushPolicy Flush { get; init; } = BrokerFlushPolicy.Durable;

    public int FlushIntervalMs { get; init; } = 1000;

    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    public int MaxConnections { get; init; } = 1000;

    public int MaxConnectionsPerIp { get; init; } = int.MaxValue;

    public IReadOnlyDictionary<string, int>? MaxConnectionsPerIpOverrides { get; init; }

    public long ConnectionsMaxIdleMs { get; init; } = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;

    public long PartialRequestTimeoutMs { get; init; } = 60_000;
    public int GroupInitialRebalanceDelayMs { get; init; } = 3000;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static ServerArguments Parse(string[] args)
    {
        var result = new ServerArguments();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Int() => int.TryParse(Value(), out var v) ? v : throw new ArgumentException($"{name} needs a whole number, got '{args[i]}'.");
            long Long() => long.TryParse(Value(), out var v) ? v : throw new ArgumentException($"{name} needs a whole number, got '{args[i]}'.");
            result = name switch
            {
                "--help" or "-h" or "-?" => result with { ShowHelp = true },
                "--data-dir" => result with { DataDirectory = Value() },
                "--listen" => result with { Listen = Value() },
                "--advertised" => result with { Advertised = Value() },
                "--node-id" => result with { NodeId = Int() },
                "--partitions" => result with { Partitions = Int() },
                "--no-auto-create" => result with { AutoCreate = false },
                "--segment-bytes" => result with { SegmentBytes = Int() },
                "--retention-ms" => result with { RetentionMs = Long() },
                "--retention-bytes" => result with { RetentionBytes = Long() },
                "--cleaner-dedupe-buffer-bytes" => result with { CleanerDedupeBufferBytes = Long() },
                "--cleaner-io-max-bytes-per-second" => result with { CleanerIoMaxBytesPerSecond = Long() },
                "--cleaner-backoff-ms" => result with { CleanerBackoffMs = Long() },
                "--flush" => result with { Flush = ParseFlush(Value()) },
                "--flush-interval-ms" => result with { FlushIntervalMs = Int() },
                "--max-request-bytes" => result with { MaxRequestBytes = Int() },
                "--max-message-bytes" => result with { MaxMessageBytes = Int() },
                "--max-connections" => result with { MaxConnections = Int() },
                "--max-connections-per-ip" => result with { MaxConnectionsPerIp = Int() },
                "--max-connections-per-ip-overrides" => result with { MaxConnectionsPerIpOverrides = ParseOverrides(name, Value()) },
                "--connections-max-idle-ms" => result with { ConnectionsMaxIdleMs = Long() },
                "--partial-request-timeout-ms" => result with { PartialRequestTimeoutMs = Long() },
                "--group-initial-rebalance-delay-ms" => result with { GroupInitialRebalanceDelayMs = Int() },
                "--log-level" => result with { LogLevel = Enum.TryParse<LogLevel>(Value(), ignoreCase: true, out var level) ? level : throw new ArgumentException($"--log-level: unknown level '{args[i]}'.") },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return result;
    }

    // "127.0.0.1:200,::1:5": the limit follows the last colon, so IPv6 addresses need no brackets.
    private static Dictionary<string, int> ParseOverrides(string name, string value)
    {
        var overrides = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = item.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(item.AsSpan(colon + 1), out var limit))
            {
                throw new ArgumentException($"{name} needs IP:N pairs separated by commas, got '{item}'.");
            }

            overrides[item[..colon].Trim('[', ']')] = limit;
        }

        return overrides;
    }

    private static BrokerFlushPolicy ParseFlush(string value) => value.ToLowerInvariant() switch
    {
        "durable" => BrokerFlushPolicy.Durable,
        "interval" => BrokerFlushPolicy.Interval,
        "os" => BrokerFlushPolicy.OperatingSystem,
        _ => throw new ArgumentException($"--flush must be durable, interval or os, got '{value}'."),
    };

    /// <summary>The broker options these arguments describe.</summary>
    public BrokerOptions ToOptions(ILoggerFactory loggerFactory) => new()
    {
        DataDirectory = DataDirectory,
        Listener = Listen,
        AdvertisedListener = Advertised,
        NodeId = NodeId,
        DefaultPartitions = Partitions,
        AutoCreateTopics = AutoCreate,
        SegmentBytes = SegmentBytes,
        Retention = RetentionMs < 0 ? null : TimeSpan.FromMilliseconds(RetentionMs),
        RetentionBytes = RetentionBytes < 0 ? null : RetentionBytes,
        CleanerDedupeBufferSize = CleanerDedupeBufferBytes,
        CleanerIoMaxBytesPerSecond = CleanerIoMaxBytesPerSecond < 0 ? null : CleanerIoMaxBytesPerSecond,
        CleanerBackoff = TimeSpan.FromMilliseconds(CleanerBackoffMs),
        FlushPolicy = Flush,
        FlushInterval = TimeSpan.FromMilliseconds(FlushIntervalMs),
        MaxRequestSize = MaxRequestBytes,
        MaxMessageBytes = MaxMessageBytes,
        MaxConnections = MaxConnections,
        MaxConnectionsPerIp = MaxConnectionsPerIp,
        MaxConnectionsPerIpOverrides = MaxConnectionsPerIpOverrides,
        ConnectionsMaxIdle = ConnectionsMaxIdleMs < 0 ? null : TimeSpan.FromMilliseconds(ConnectionsMaxIdleMs),
        PartialRequestTimeout = PartialRequestTimeoutMs < 0 ? null : TimeSpan.FromMilliseconds(PartialRequestTimeoutMs),
        GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(GroupInitialRebalanceDelayMs),
        LoggerFactory = loggerFactory,
    };
}
