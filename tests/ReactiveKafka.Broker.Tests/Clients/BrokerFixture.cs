using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Clients;

/// <summary>
/// One bundled broker per test class, in a temp directory deleted on dispose. Tests take their own
/// topic (<see cref="NewTopic"/>) and group (<see cref="NewGroup"/>) so they never share state.
/// </summary>
public class BrokerFixture : IAsyncLifetime
{
    private static int s_counter;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "rk-clients-" + Guid.NewGuid().ToString("N"));

    public KafkaBroker Broker { get; private set; } = null!;

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>The options the broker starts with; override to change them for a test class.</summary>
    protected virtual BrokerOptions Configure(BrokerOptions options) => options;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        // No initial rebalance delay, as Testcontainers' Kafka: a test's group forms at its first join.
        // GroupStartupTests keeps Kafka's default.
        Broker = await KafkaBroker.StartAsync(Configure(new BrokerOptions { DataDirectory = DataDirectory, Listener = "127.0.0.1:0", GroupInitialRebalanceDelay = TimeSpan.Zero }));
    }

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        DeleteDirectory(DataDirectory);
        GC.SuppressFinalize(this);
    }

    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static string NewTopic(string prefix = "t") => $"{prefix}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid().ToString("N")[..8]}";

    public static string NewGroup() => NewTopic("g");

    public ProducerConfig ProducerConfig(string? bootstrap = null) => new()
    {
        BootstrapServers = bootstrap ?? BootstrapServers,
        Acks = Acks.All,
        LingerMs = 5,
        TopicMetadataRefreshIntervalMs = 1000,
        MessageTimeoutMs = 20000,
    };

    public ConsumerConfig ConsumerConfig(string? groupId = null, string? bootstrap = null) => new()
    {
        BootstrapServers = bootstrap ?? BootstrapServers,
        GroupId = groupId ?? NewGroup(),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        FetchWaitMaxMs = 100,
        TopicMetadataRefreshIntervalMs = 1000,
    };

    public AdminClientConfig AdminConfig(string? bootstrap = null) => new() { BootstrapServers = bootstrap ?? BootstrapServers };

    public IAdminClient NewAdmin() => new AdminClientBuilder(AdminConfig()).Build();

    public async Task CreateTopicAsync(string topic, int partitions, Dictionary<string, string>? configs = null)
    {
        using var admin = NewAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1, Configs = configs }]);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes; fails with <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Consumes until <paramref name="count"/> records arrived or the timeout passes.</summary>
    public static List<ConsumeResult<TKey, TValue>> ConsumeCount<TKey, TValue>(IConsumer<TKey, TValue> consumer, int count, TimeSpan timeout)
    {
        var results = new List<ConsumeResult<TKey, TValue>>();
        var watch = Stopwatch.StartNew();
        while (results.Count < count && watch.Elapsed < timeout)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is not null && !result.IsPartitionEOF)
            {
                results.Add(result);
            }
        }

        Assert.True(results.Count >= count, $"Consumed {results.Count} of {count} records within {timeout.TotalSeconds:0.#} s.");
        return results;
    }
}
