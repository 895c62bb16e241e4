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
          --listeners NAME://HOST:PORT[,...]
                                      several listeners (Kafka's listeners), e.g.
                                      PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093; replaces --listen
          --advertised-listeners NAME://HOST:PORT[,...]
                                      what each listener's clients are told (Kafka's advertised.listeners)
          --listener-security-protocol-map NAME:PROTOCOL[,...]
                                      protocol of listeners not named after one (PLAINTEXT, SSL, SASL_PLAINTEXT,
                                      SASL_SSL), e.g. CLIENT:SASL_SSL (Kafka's listener.security.protocol.map)
          --ssl-cert FILE             PEM certificate (and chain) of SSL/SASL_SSL listeners; with --ssl-key
          --ssl-key FILE              PEM private key of --ssl-cert (PKCS#8, PKCS#1 or SEC1)
          --ssl-pkcs12 FILE           PKCS#12 file with certificate and key, instead of --ssl-cert/--ssl-key
          --ssl-key-password PW       password of an encrypted --ssl-key or of --ssl-pkcs12
          --ssl-client-auth none|requested|required
                                      client certificates (mTLS; principal User:<subject>); default none
          --ssl-ca FILE               PEM CA certificates that client certificates must chain to
          --ssl-protocols LIST        TLSv1.2,TLSv1.3 (default both)
          --sasl-mechanisms LIST      enabled of PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
                                      (default the first three; OAUTHBEARER takes unsecured tokens: development only)
          --sasl-users USER:PW[,...]  users of SASL listeners; stored as salted SCRAM credentials, never as passwords
          --sasl-users-file FILE      the same, one USER:PW a line (keeps passwords off the command line)
          --connections-max-reauth-ms N
                                      SASL session lifetime, re-authentication required after it (KIP-368); -1 none
          --authorizer                enforce ACLs (Kafka's StandardAuthorizer; managed with kafka-acls /
                                      CreateAcls, kept in the data directory); off by default: all allowed
          --super-users P[;P...]      principals allowed everything, e.g. 'User:admin;User:ops' (quoted in a shell;
                                      implies --authorizer)
          --allow-everyone-if-no-acl-found
                                      a resource no ACL names is open to all (implies --authorizer; default off)
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
          --producer-id-expiration-ms N
                                      forget an idempotent producer idle this long (Kafka's
                                      producer.id.expiration.ms; default 86400000)
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
          --transaction-max-timeout-ms N
                                      largest transaction.timeout.ms a producer may ask for (Kafka's
                                      transaction.max.timeout.ms; default 900000)
          --transaction-abort-timed-out-interval-ms N
                                      how often transactions past their timeout are aborted (Kafka's
                                      transaction.abort.timed.out.transaction.cleanup.interval.ms; default 10000)
          --transactional-id-expiration-ms N
                                      forget a transactional id unused this long (default 604800000, 7 days)
          --transaction-remove-expired-interval-ms N
                                      how often expired transactional ids are removed (default 3600000)
          --log-level LEVEL           trace|debug|information|warning|error (default information)
          --help                      show this text
        """;

    public bool ShowHelp { get; init; }

    public string DataDirectory { get; init; } = "./data";

    public string Listen { get; init; } = "127.0.0.1:9092";

    public string? Advertised { get; init; }

    public string? Listeners { get; init; }

    public string? AdvertisedListeners { get; init; }

    public string? ListenerSecurityProtocolMap { get; init; }

    public string? SslCert { get; init; }

    public string? SslKey { get; init; }

    public string? SslPkcs12 { get; init; }

    public string? SslKeyPassword { get; init; }

    public BrokerClientAuthentication SslClientAuth { get; init; }

    public string? SslCa { get; init; }

    public System.Security.Authentication.SslProtocols SslProtocols { get; init; } = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;

    public IReadOnlyList<string>? SaslMechanisms { get; init; }

    public IReadOnlyDictionary<string, string>? SaslUsers { get; init; }

    public long ConnectionsMaxReauthMs { get; init; } = -1;

    public bool Authorizer { get; init; }

    public IReadOnlyList<string>? SuperUsers { get; init; }

    public bool AllowEveryoneIfNoAclFound { get; init; }

    public int NodeId { get; init; } = 1;

    public int Partitions { get; init; } = 1;

    public bool AutoCreate { get; init; } = true;

    public int SegmentBytes { get; init; } = 1 << 30;

    public long RetentionMs { get; init; } = (long)TimeSpan.FromDays(7).TotalMilliseconds;

    public long RetentionBytes { get; init; } = -1;

    public long CleanerDedupeBufferBytes { get; init; } = 128L * 1024 * 1024;

    public long CleanerIoMaxBytesPerSecond { get; init; } = -1;

    public long CleanerBackoffMs { get; init; } = 15_000;

    /// <summary>--producer-id-expiration-ms.</summary>
    public long ProducerIdExpirationMs { get; init; } = 86_400_000;

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

    public long TransactionMaxTimeoutMs { get; init; } = (long)TimeSpan.FromMinutes(15).TotalMilliseconds;

    public long TransactionAbortTimedOutIntervalMs { get; init; } = 10_000;

    public long TransactionalIdExpirationMs { get; init; } = (long)TimeSpan.FromDays(7).TotalMilliseconds;

    public long TransactionRemoveExpiredIntervalMs { get; init; } = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static ServerArguments Parse(string[] args)
    {
        var result = new ServerArguments();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            long Number(long min, long max, string? minusOne)
            {
                var text = Value();
                return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v)
                    ? ArgumentRanges.Check(name, v, min, max, minusOne)
                    : throw new ArgumentException($"{name} needs a whole number, got '{text}'.");
            }

            // Each numeric flag is checked against the range BrokerOptions accepts, so the error names the flag the user
            // typed, in milliseconds or bytes as typed, rather than the BrokerOptions property behind it.
            int Int(int min, int max = int.MaxValue) => (int)Number(min, max, null);
            long Long(long min, long max = long.MaxValue) => Number(min, max, null);
            long LongOrMinusOne(long min, long max, string minusOne) => Number(min, max, minusOne);
            result = name switch
            {
                "--help" or "-h" or "-?" => result with { ShowHelp = true },
                "--data-dir" => result with { DataDirectory = Value() },
                "--listen" => result with { Listen = Value() },
                "--advertised" => result with { Advertised = Value() },
                "--listeners" => result with { Listeners = Value() },
                "--advertised-listeners" => result with { AdvertisedListeners = Value() },
                "--listener-security-protocol-map" => result with { ListenerSecurityProtocolMap = Value() },
                "--ssl-cert" => result with { SslCert = Value() },
                "--ssl-key" => result with { SslKey = Value() },
                "--ssl-pkcs12" => result with { SslPkcs12 = Value() },
                "--ssl-key-password" => result with { SslKeyPassword = Value() },
                "--ssl-client-auth" => result with { SslClientAuth = ParseClientAuth(Value()) },
                "--ssl-ca" => result with { SslCa = Value() },
                "--ssl-protocols" => result with { SslProtocols = ParseProtocols(Value()) },
                "--sasl-mechanisms" => result with { SaslMechanisms = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--sasl-users" => result with { SaslUsers = Merge(result.SaslUsers, ParseUsers(name, Value().Split(','))) },
                "--sasl-users-file" => result with { SaslUsers = Merge(result.SaslUsers, ParseUsers(name, ReadLines(name, Value()))) },
                "--connections-max-reauth-ms" => result with { ConnectionsMaxReauthMs = LongOrMinusOne(1, ArgumentRanges.MaxDurationMs, "no re-authentication") },
                "--authorizer" => result with { Authorizer = true },
                "--super-users" => result with { SuperUsers = ParseSuperUsers(Value()) },
                "--allow-everyone-if-no-acl-found" => result with { AllowEveryoneIfNoAclFound = true },
                "--node-id" => result with { NodeId = Int(0) },
                "--partitions" => result with { Partitions = Int(1, 10_000) },
                "--no-auto-create" => result with { AutoCreate = false },
                "--segment-bytes" => result with { SegmentBytes = Int(14 * 1024) },
                "--retention-ms" => result with { RetentionMs = LongOrMinusOne(1, ArgumentRanges.MaxDurationMs, "keep forever") },
                "--retention-bytes" => result with { RetentionBytes = LongOrMinusOne(1, long.MaxValue, "no limit") },
                "--cleaner-dedupe-buffer-bytes" => result with { CleanerDedupeBufferBytes = Long(1024) },
                "--cleaner-io-max-bytes-per-second" => result with { CleanerIoMaxBytesPerSecond = LongOrMinusOne(1, long.MaxValue, "no limit") },
                "--cleaner-backoff-ms" => result with { CleanerBackoffMs = Long(1, ArgumentRanges.MaxTimerMs) },
                "--producer-id-expiration-ms" => result with { ProducerIdExpirationMs = Long(1, ArgumentRanges.MaxDurationMs) },
                "--flush" => result with { Flush = ParseFlush(Value()) },
                "--flush-interval-ms" => result with { FlushIntervalMs = Int(1) },
                "--max-request-bytes" => result with { MaxRequestBytes = Int(1024) },
                "--max-message-bytes" => result with { MaxMessageBytes = Int(1024) },
                "--max-connections" => result with { MaxConnections = Int(1) },
                "--max-connections-per-ip" => result with { MaxConnectionsPerIp = Int(0) },
                "--max-connections-per-ip-overrides" => result with { MaxConnectionsPerIpOverrides = ParseOverrides(name, Value()) },
                "--connections-max-idle-ms" => result with { ConnectionsMaxIdleMs = LongOrMinusOne(1, ArgumentRanges.MaxTimerMs, "never close") },
                "--partial-request-timeout-ms" => result with { PartialRequestTimeoutMs = LongOrMinusOne(1, ArgumentRanges.MaxTimerMs, "no deadline") },
                "--group-initial-rebalance-delay-ms" => result with { GroupInitialRebalanceDelayMs = Int(0) },
                "--transaction-max-timeout-ms" => result with { TransactionMaxTimeoutMs = Long(1, int.MaxValue) },
                "--transaction-abort-timed-out-interval-ms" => result with { TransactionAbortTimedOutIntervalMs = Long(1, ArgumentRanges.MaxTimerMs) },
                "--transactional-id-expiration-ms" => result with { TransactionalIdExpirationMs = Long(1, ArgumentRanges.MaxDurationMs) },
                "--transaction-remove-expired-interval-ms" => result with { TransactionRemoveExpiredIntervalMs = Long(1, ArgumentRanges.MaxTimerMs) },
                "--log-level" => result with { LogLevel = Enum.TryParse<LogLevel>(Value(), ignoreCase: true, out var level) ? level : throw new ArgumentException($"--log-level: unknown level '{args[i]}'.") },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return result;
    }

    // Kafka's super.users is separated by ';' (a principal may hold ','); both are accepted. Each must be TYPE:NAME.
    private static string[] ParseSuperUsers(string value)
    {
        var principals = value.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (principals.Length == 0)
        {
            throw new ArgumentException("--super-users: no principal given; expected e.g. User:admin;User:ops.");
        }

        if (principals.FirstOrDefault(p => p.IndexOf(':') <= 0 || p.EndsWith(':')) is { } bad)
        {
            throw new ArgumentException($"--super-users: '{bad}' is not a principal; expected TYPE:NAME, e.g. User:admin.");
        }

        return principals;
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

            if (limit < 0)
            {
                throw new ArgumentException($"{name}: the limit of {item[..colon]} must be from 0 to {int.MaxValue}, got {limit}.");
            }

            overrides[item[..colon].Trim('[', ']')] = limit;
        }

        return overrides;
    }

    private static BrokerClientAuthentication ParseClientAuth(string value) => value.ToLowerInvariant() switch
    {
        "none" => BrokerClientAuthentication.None,
        "requested" => BrokerClientAuthentication.Requested,
        "required" => BrokerClientAuthentication.Required,
        _ => throw new ArgumentException($"--ssl-client-auth must be none, requested or required, got '{value}'."),
    };

    private static System.Security.Authentication.SslProtocols ParseProtocols(string value)
    {
        var protocols = System.Security.Authentication.SslProtocols.None;
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            protocols |= item.ToUpperInvariant() switch
            {
                "TLSV1.2" => System.Security.Authentication.SslProtocols.Tls12,
                "TLSV1.3" => System.Security.Authentication.SslProtocols.Tls13,
                _ => throw new ArgumentException($"--ssl-protocols takes TLSv1.2 and/or TLSv1.3, got '{item}'."),
            };
        }

        return protocols;
    }

    private static IEnumerable<string> ReadLines(string name, string path)
    {
        try
        {
            return File.ReadAllLines(path).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{name}: cannot read '{path}': {ex.Message}");
        }
    }

    // "alice:secret": the password follows the first colon, so it may hold colons itself.
    private static Dictionary<string, string> ParseUsers(string name, IEnumerable<string> items)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items.Select(i => i.Trim()).Where(i => i.Length > 0))
        {
            var colon = item.IndexOf(':');
            if (colon <= 0 || colon == item.Length - 1)
            {
                throw new ArgumentException($"{name} needs USER:PASSWORD entries, got '{(colon <= 0 ? item : item[..colon] + ":")}'.");
            }

            users[item[..colon]] = item[(colon + 1)..];
        }

        return users;
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? existing, Dictionary<string, string> added)
    {
        var merged = new Dictionary<string, string>(existing ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (user, password) in added)
        {
            merged[user] = password;
        }

        return merged;
    }

    private static BrokerFlushPolicy ParseFlush(string value) => value.ToLowerInvariant() switch
    {
        "durable" => BrokerFlushPolicy.Durable,
        "interval" => BrokerFlushPolicy.Interval,
        "os" => BrokerFlushPolicy.OperatingSystem,
        _ => throw new ArgumentException($"--flush must be durable, interval or os, got '{value}'."),
    };

    /// <summary>The broker options these arguments describe.</summary>
    /// <exception cref="ArgumentException">The listener settings do not parse; the message names the setting.</exception>
    public BrokerOptions ToOptions(ILoggerFactory loggerFactory) => new()
    {
        Listeners = Listeners is null
            ? (AdvertisedListeners is not null || ListenerSecurityProtocolMap is not null
                ? throw new ArgumentException("--advertised-listeners and --listener-security-protocol-map need --listeners.")
                : null)
            : BrokerListener.Parse(Listeners, AdvertisedListeners, ListenerSecurityProtocolMap),
        Tls = SslCert is null && SslKey is null && SslPkcs12 is null && SslCa is null
            ? null
            : new BrokerTlsOptions
            {
                CertificatePemPath = SslCert,
                KeyPemPath = SslKey,
                Pkcs12Path = SslPkcs12,
                KeyPassword = SslKeyPassword,
                ClientAuthentication = SslClientAuth,
                TrustedCaPemPath = SslCa,
                Protocols = SslProtocols,
            },
        Sasl = SaslUsers is null && SaslMechanisms is null && ConnectionsMaxReauthMs < 0
            ? null
            : new BrokerSaslOptions
            {
                Mechanisms = SaslMechanisms ?? new BrokerSaslOptions().Mechanisms,
                Users = SaslUsers,
                ConnectionsMaxReauth = ConnectionsMaxReauthMs < 0 ? null : TimeSpan.FromMilliseconds(ConnectionsMaxReauthMs),
            },
        Authorization = !Authorizer && SuperUsers is null && !AllowEveryoneIfNoAclFound
            ? null
            : new BrokerAuthorizationOptions { SuperUsers = SuperUsers ?? [], AllowEveryoneIfNoAclFound = AllowEveryoneIfNoAclFound },
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
        ProducerIdExpiration = TimeSpan.FromMilliseconds(ProducerIdExpirationMs),
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
        TransactionMaxTimeout = TimeSpan.FromMilliseconds(TransactionMaxTimeoutMs),
        TransactionAbortTimedOutInterval = TimeSpan.FromMilliseconds(TransactionAbortTimedOutIntervalMs),
        TransactionalIdExpiration = TimeSpan.FromMilliseconds(TransactionalIdExpirationMs),
        TransactionRemoveExpiredInterval = TimeSpan.FromMilliseconds(TransactionRemoveExpiredIntervalMs),
        LoggerFactory = loggerFactory,
    };
}
