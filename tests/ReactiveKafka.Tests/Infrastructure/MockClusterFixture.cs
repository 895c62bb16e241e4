using Confluent.Kafka;

namespace ReactiveKafka.Tests.Infrastructure;

/// <summary>
/// librdkafka's built-in mock cluster (<c>test.mock.num.brokers=1</c>) as an independent broker for SDK tests: a
/// producer instance hosts it for the test class and other clients reach it over TCP at <see cref="BootstrapServers"/>.
/// It auto-creates topics with 4 partitions on produce and keeps only about 5 MiB per partition.
/// </summary>
public sealed class MockClusterFixture : IDisposable
{
    private readonly IProducer<Null, byte[]> _host;

    public MockClusterFixture()
    {
        var config = new ProducerConfig { BootstrapServers = "mock:0" };
        config.Set("test.mock.num.brokers", "1");
        _host = new ProducerBuilder<Null, byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(_host.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        BootstrapServers = $"{broker.Host}:{broker.Port}";
    }

    /// <summary>The mock cluster's bootstrap servers.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of partitions the mock cluster gives a topic it creates on first produce.</summary>
    public const int AutoCreatedPartitions = 4;

    public void Dispose() => _host.Dispose();
}
