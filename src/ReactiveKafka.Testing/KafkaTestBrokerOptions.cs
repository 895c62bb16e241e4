using ReactiveKafka.Broker;

namespace ReactiveKafka.Testing;

/// <summary>How <see cref="KafkaTestBroker.StartAsync"/> gets a broker.</summary>
public sealed record KafkaTestBrokerOptions
{
    /// <summary>The default Apache Kafka image for <see cref="KafkaTestBrokerKind.Container"/> (KRaft mode).</summary>
    public const string ApacheKafkaImage = "apache/kafka:4.1.0";

    /// <summary>The locally built image of the bundled broker (see <c>docker/</c> in the repository).</summary>
    public const string BundledImage = "reactivekafka/broker:local";

    /// <summary>The broker kind; null reads <c>REACTIVEKAFKA_TEST_BROKER</c> (default bundled).</summary>
    public KafkaTestBrokerKind? Kind { get; init; }

    /// <summary>The container image for <see cref="KafkaTestBrokerKind.Container"/>: <see cref="ApacheKafkaImage"/> or <see cref="BundledImage"/>.</summary>
    public string ContainerImage { get; init; } = ApacheKafkaImage;

    /// <summary>The bootstrap servers for <see cref="KafkaTestBrokerKind.External"/>; null reads them from the environment variable.</summary>
    public string? ExternalBootstrapServers { get; init; }

    /// <summary>The prefix of every topic the helpers create, so that an external cluster's own topics are never touched.</summary>
    public string TopicPrefix { get; init; } = "rk-test-";

    /// <summary>
    /// Adjusts the bundled broker's options (data directory and listener are set by the test broker). The test
    /// broker starts groups without an initial rebalance delay, as Testcontainers' Kafka does; set
    /// <see cref="BrokerOptions.GroupInitialRebalanceDelay"/> here for Kafka's 3 s. Every other broker setting goes the
    /// same way, e.g. <c>o =&gt; o with { TransactionAbortTimedOutInterval = TimeSpan.FromMilliseconds(100) }</c> for a
    /// test that waits for a timed-out transaction to be aborted (default 10 s).
    /// </summary>
    public Func<BrokerOptions, BrokerOptions>? ConfigureBundled { get; init; }

    /// <summary>
    /// TLS and/or SASL for the bundled broker (see <see cref="KafkaTestSecurity"/>); null (the default) is loopback
    /// plaintext without users. Other kinds refuse it.
    /// </summary>
    public KafkaTestSecurity? Security { get; init; }

    /// <summary>How long starting a container may take.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The options with the kind (and external servers) resolved from the environment where unset.</summary>
    public KafkaTestBrokerOptions Resolve()
    {
        if (Kind is not null && (Kind != KafkaTestBrokerKind.External || ExternalBootstrapServers is not null))
        {
            return this;
        }

        var (kind, servers) = TestBrokerEnvironment.Read();
        var resolvedKind = Kind ?? kind;
        var resolvedServers = ExternalBootstrapServers ?? servers;
        if (resolvedKind == KafkaTestBrokerKind.External && resolvedServers is null)
        {
            throw new ArgumentException(
                $"KafkaTestBrokerOptions.ExternalBootstrapServers is required for an external broker (or set {TestBrokerEnvironment.VariableName}=external:host:port).",
                nameof(ExternalBootstrapServers));
        }

        return this with { Kind = resolvedKind, ExternalBootstrapServers = resolvedServers };
    }
}
