using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReactiveKafka.Broker;
using ReactiveKafka.Testing;
using ReactiveKafka.Testing.Xunit;

namespace ReactiveKafka.Hosting.Tests;

/// <summary>One bundled broker per test class (skips with the reason when none can run here).</summary>
public sealed class BrokerFixture : KafkaBrokerFixture
{
    public string BootstrapServers => Broker.BootstrapServers;

    protected override KafkaTestBrokerOptions CreateOptions() => new()
    {
        ConfigureBundled = o => o with { FlushPolicy = BrokerFlushPolicy.OperatingSystem },
    };

    public Task<string> CreateTopicAsync(int partitions = 1) => Broker.CreateTopicAsync(partitions);
}

/// <summary>Hosts built from in-memory configuration, a raw producer, committed offsets, condition waits.</summary>
internal static class HostingKit
{
    public static IHost BuildHost(IDictionary<string, string?> configuration, Action<IConfiguration, IServiceCollection> services, TimeSpan? shutdownTimeout = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30));
        services(builder.Configuration, builder.Services);
        return builder.Build();
    }

    /// <summary>The configuration of one receiver under <c>Kafka:Receivers:{name}</c>.</summary>
    public static Dictionary<string, string?> Receiver(string name, string bootstrapServers, string topic, string group, params (string Key, string Value)[] more)
    {
        var prefix = $"Kafka:Receivers:{name}:";
        var configuration = new Dictionary<string, string?>
        {
            [prefix + "Consumer:bootstrap.servers"] = bootstrapServers,
            [prefix + "Consumer:group.id"] = group,
            [prefix + "Consumer:auto.offset.reset"] = "earliest",
            [prefix + "Consumer:session.timeout.ms"] = "6000",
            [prefix + "Consumer:heartbeat.interval.ms"] = "500",
            [prefix + "Consumer:fetch.error.backoff.ms"] = "10",
            [prefix + "Topics:0"] = topic,
            [prefix + "CommitInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in more)
        {
            configuration[prefix + key] = value;
        }

        return configuration;
    }

    public static void Produce(string bootstrapServers, string topic, int count, int start = 0)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5 }).Build();
        for (var i = start; i < start + count; i++)
        {
            producer.Produce(topic, new Message<string, string> { Key = "k" + i, Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    public static long Committed(string bootstrapServers, string group, string topic, int partition = 0)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = group }).Build();
        return consumer.Committed([new TopicPartition(topic, partition)], TimeSpan.FromSeconds(10)).Single().Offset.Value;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    public static string NewGroup() => "group-" + Guid.NewGuid().ToString("N");
}
