using ReactiveKafka.Testing;
using Xunit;

namespace ReactiveKafka.Tests.Testing;

public sealed class TestBrokerEnvironmentTests
{
    [Theory]
    [InlineData(null, KafkaTestBrokerKind.Bundled, null)]
    [InlineData("", KafkaTestBrokerKind.Bundled, null)]
    [InlineData("bundled", KafkaTestBrokerKind.Bundled, null)]
    [InlineData("CONTAINER", KafkaTestBrokerKind.Container, null)]
    [InlineData("external:localhost:9092", KafkaTestBrokerKind.External, "localhost:9092")]
    [InlineData("external:a:1,b:2", KafkaTestBrokerKind.External, "a:1,b:2")]
    public void Parse_AcceptedForm_GivesKindAndServers(string? value, KafkaTestBrokerKind kind, string? servers)
    {
        var parsed = TestBrokerEnvironment.Parse(value);

        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(servers, parsed.BootstrapServers);
    }

    [Theory]
    [InlineData("docker")]
    [InlineData("external:")]
    [InlineData("external:localhost")]
    [InlineData("external:localhost:99999")]
    [InlineData("external:host:1,nocolon")]
    public void Parse_UnknownOrMalformed_ThrowsNamingVariableAndForms(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => TestBrokerEnvironment.Parse(value));

        Assert.Contains("REACTIVEKAFKA_TEST_BROKER", error.Message);
        Assert.Contains("external:host:port", error.Message);
        Assert.Contains("bundled", error.Message);
    }
}
