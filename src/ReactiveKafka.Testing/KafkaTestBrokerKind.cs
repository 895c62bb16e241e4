namespace ReactiveKafka.Testing;

/// <summary>Which broker a <see cref="KafkaTestBroker"/> runs.</summary>
public enum KafkaTestBrokerKind
{
    /// <summary>The bundled broker, in-process, on a free loopback port with a temporary data directory.</summary>
    Bundled,

    /// <summary>A broker in a Docker container through Testcontainers (Apache Kafka in KRaft mode by default).</summary>
    Container,

    /// <summary>An existing cluster named by its bootstrap servers; topics created by the tests are prefixed and deleted.</summary>
    External,
}
