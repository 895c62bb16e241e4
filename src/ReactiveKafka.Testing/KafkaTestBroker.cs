using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Testing.Kinds;

namespace ReactiveKafka.Testing;

/// <summary>
/// A real Kafka broker for a test: the bundled broker (default), Apache Kafka in a container, or an
/// external cluster, chosen by <see cref="KafkaTestBrokerOptions.Kind"/> or the
/// <c>REACTIVEKAFKA_TEST_BROKER</c> environment variable, with the helpers every Kafka test needs.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await KafkaTestBroker.StartAsync();
/// var topic = await broker.CreateTopicAsync(partitions: 3);
/// await broker.ProduceAsync(topic, [("k", "v")]);
/// var records = await broker.ConsumeAsync(topic, count: 1, TimeSpan.FromSeconds(10));
/// </code>
/// </example>
public abstract class KafkaTestBroker : IAsyncDisposable
{
    private readonly List<string> _createdTopics = [];

    private protected KafkaTestBroker(KafkaTestBrokerOptions options)
    {
        Options = options;
    }

    /// <summary>The resolved options.</summary>
    public KafkaTestBrokerOptions Options { get; }

    /// <summary>Which kind of broker this is.</summary>
    public abstract KafkaTestBrokerKind Kind { get; }

    /// <summary>The bootstrap servers to give clients.</summary>
    public abstract string BootstrapServers { get; }

    /// <summary>The topics created through <see cref="CreateTopicAsync"/>.</summary>
    public IReadOnlyList<string> CreatedTopics
    {
        get
        {
            lock (_createdTopics)
            {
                return [.. _createdTopics];
            }
        }
    }

    /// <summary>
    /// Fault injection on the wire, with <see cref="KafkaApi"/> and Confluent.Kafka's <see cref="ErrorCode"/>; only the
    /// bundled broker has it.
    /// </summary>
    /// <exception cref="NotSupportedException">This is not the bundled broker.</exception>
    public virtual KafkaTestFaults Faults => throw new NotSupportedException($"Fault injection needs the bundled broker; this is a {Kind} broker.");

    /// <summary>Starts (or connects to) a broker of the kind the options or the environment ask for.</summary>
    /// <exception cref="KafkaTestBrokerUnavailableException">That kind cannot run here (e.g. no Docker engine).</exception>
    /// <exception cref="ArgumentException">The environment variable or an option is invalid.</exception>
    public static async Task<KafkaTestBroker> StartAsync(KafkaTestBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = (options ?? new KafkaTestBrokerOptions()).Resolve();
        if (resolved.Security is not null && resolved.Kind != KafkaTestBrokerKind.Bundled)
        {
            throw new ArgumentException(
                $"KafkaTestBrokerOptions.Security needs the bundled broker (this is {resolved.Kind}); a container's or an external cluster's security is its own.",
                nameof(options));
        }

        return resolved.Kind switch
        {
            KafkaTestBrokerKind.Bundled => await BundledTestBroker.LaunchAsync(resolved, cancellationToken).ConfigureAwait(false),
            KafkaTestBrokerKind.Container => await ContainerTestBroker.LaunchAsync(resolved, cancellationToken).ConfigureAwait(false),
            _ => await ExternalTestBroker.LaunchAsync(resolved, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// Stops the broker and starts it again on the same data directory and address (bundled broker only); clients
    /// reconnect by themselves. (The bundled broker as a library, <c>KafkaBroker</c>, has no restart: dispose it and
    /// start another on the same options.)
    /// </summary>
    /// <exception cref="NotSupportedException">This is not the bundled broker.</exception>
    public virtual Task RestartAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"Restarting needs the bundled broker; this is a {Kind} broker.");

    /// <summary>
    /// The client settings a secured broker needs (<c>security.protocol</c>, <c>ssl.ca.pem</c>, <c>sasl.*</c>); empty for
    /// a plaintext broker. The helper configs already carry them.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> ClientSecurity { get; } = new Dictionary<string, string>();

    /// <summary>Sets <see cref="ClientSecurity"/> on <paramref name="config"/> (any client's config) and returns it.</summary>
    public T ApplyClientSecurity<T>(T config)
        where T : ClientConfig
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in ClientSecurity)
        {
            config.Set(key, value);
        }

        return config;
    }

    /// <summary>A producer config for this broker (acks=all, short linger), with the client security settings.</summary>
    public ProducerConfig CreateProducerConfig() => ApplyClientSecurity(new ProducerConfig
    {
        BootstrapServers = BootstrapServers,
        Acks = Acks.All,
        LingerMs = 5,
        MessageTimeoutMs = 30_000,
    });

    /// <summary>A consumer config for this broker with a fresh group id unless one is given (earliest reset, short session), with the client security settings.</summary>
    public ConsumerConfig CreateConsumerConfig(string? groupId = null) => ApplyClientSecurity(new ConsumerConfig
    {
        BootstrapServers = BootstrapServers,
        GroupId = groupId ?? Options.TopicPrefix + "group-" + Guid.NewGuid().ToString("N")[..12],
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        FetchWaitMaxMs = 100,
    });

    /// <summary>An admin client config for this broker, with the client security settings.</summary>
    public AdminClientConfig CreateAdminClientConfig() => ApplyClientSecurity(new AdminClientConfig { BootstrapServers = BootstrapServers });

    /// <summary>Creates a topic with a unique, prefixed name and returns the name; it is deleted when the broker is disposed.</summary>
    public async Task<string> CreateTopicAsync(int partitions = 1, IReadOnlyDictionary<string, string>? configs = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var name = Options.TopicPrefix + Guid.NewGuid().ToString("N")[..16];
        using var admin = new AdminClientBuilder(CreateAdminClientConfig()).Build();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1, Configs = configs?.ToDictionary(c => c.Key, c => c.Value) }],
            new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_createdTopics)
        {
            _createdTopics.Add(name);
        }

        return name;
    }

    /// <summary>Produces string records (acks=all) and returns their delivery results, in order.</summary>
    public async Task<IReadOnlyList<DeliveryResult<string?, string?>>> ProduceAsync(
        string topic, IEnumerable<(string? Key, string? Value)> records, CancellationToken cancellationToken = default)
    {
        using var producer = new ProducerBuilder<string?, string?>(CreateProducerConfig()).Build();
        var pending = records.Select(r => producer.ProduceAsync(topic, new Message<string?, string?> { Key = r.Key, Value = r.Value }, cancellationToken)).ToList();
        return await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads <paramref name="count"/> records from the start of every partition of <paramref name="topic"/>
    /// (no group), waiting up to <paramref name="timeout"/>; on timeout throws with what it did see.
    /// </summary>
    /// <exception cref="TimeoutException">Fewer records arrived; the message lists them.</exception>
    public async Task<IReadOnlyList<ConsumeResult<string?, string?>>> ConsumeAsync(string topic, int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        return await Task.Run(() =>
        {
            using var consumer = new ConsumerBuilder<string?, string?>(CreateConsumerConfig()).Build();
            using var admin = new AdminClientBuilder(CreateAdminClientConfig()).Build();
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
            var partitions = metadata.Topics.Single().Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
            consumer.Assign(partitions);
            var seen = new List<ConsumeResult<string?, string?>>();
            var deadline = DateTime.UtcNow + timeout;
            while (seen.Count < count && DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
                {
                    seen.Add(result);
                }
            }

            if (seen.Count < count)
            {
                var shown = string.Join(", ", seen.Take(20).Select(r => $"{r.Partition.Value}@{r.Offset.Value} {r.Message.Key}={r.Message.Value}"));
                throw new TimeoutException($"Expected {count} records from '{topic}' within {timeout.TotalSeconds:0.#} s but saw {seen.Count}: [{shown}{(seen.Count > 20 ? ", ..." : "")}].");
            }

            return (IReadOnlyList<ConsumeResult<string?, string?>>)seen;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the topics this broker's helpers created (external clusters keep nothing of the tests).</summary>
    protected async Task DeleteCreatedTopicsAsync()
    {
        var topics = CreatedTopics;
        if (topics.Count == 0)
        {
            return;
        }

        try
        {
            using var admin = new AdminClientBuilder(CreateAdminClientConfig()).Build();
            await admin.DeleteTopicsAsync(topics, new DeleteTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
        }
        catch (DeleteTopicsException)
        {
            // Some were already gone (a test deleted them); the rest are deleted.
        }
    }

    /// <summary>Stops the broker (or disconnects) and removes what the tests left behind.</summary>
    public abstract ValueTask DisposeAsync();
}
