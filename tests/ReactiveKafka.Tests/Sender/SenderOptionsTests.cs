using System.Reactive.Concurrency;
using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>Options validation: pure, no broker.</summary>
public sealed class SenderOptionsTests
{
    private static readonly ProducerConfig Config = new() { BootstrapServers = "127.0.0.1:9092" };

    [Fact]
    public void Constructor_Defaults_AreDocumentedValues()
    {
        var options = new SenderOptions<string, string>(Config);

        Assert.Equal(SenderOptions<string, string>.DefaultMaxInFlight, options.MaxInFlight);
        Assert.True(options.StopOnError);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CloseTimeout);
        Assert.Same(DefaultScheduler.Instance, options.Scheduler);
        Assert.Same(Serializers.Utf8, options.KeySerializer);
        Assert.Equal("127.0.0.1:9092", options.ProducerProperties["bootstrap.servers"]);
    }

    [Theory]
    [InlineData(nameof(SenderOptions<,>.MaxInFlight))]
    [InlineData(nameof(SenderOptions<,>.CloseTimeout))]
    [InlineData(nameof(SenderOptions<,>.Scheduler))]
    [InlineData(nameof(SenderOptions<,>.KeySerializer))]
    [InlineData(nameof(SenderOptions<,>.ProducerProperties))]
    public void Init_BadValue_ThrowsArgumentExceptionNamingTheOption(string option)
    {
        var options = new SenderOptions<string, string>(Config);

        var error = Assert.ThrowsAny<ArgumentException>(() => option switch
        {
            "MaxInFlight" => options with { MaxInFlight = 0 },
            "CloseTimeout" => options with { CloseTimeout = TimeSpan.FromSeconds(-1) },
            "Scheduler" => options with { Scheduler = null! },
            "KeySerializer" => options with { KeySerializer = null! },
            _ => options with { ProducerProperties = new Dictionary<string, string> { ["dotnet.producer.enable.delivery.reports"] = "false" } },
        });

        Assert.Equal(option, error.ParamName);
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TypeWithoutBuiltInSerializer_ThrowsNamingTheSerializer()
    {
        var error = Assert.Throws<ArgumentException>(() => new SenderOptions<string, Uri>(Config));

        Assert.Equal("ValueSerializer", error.ParamName);
    }

    [Fact]
    public void Constructor_ProducerConfigChangedLater_OptionsKeepTheirCopy()
    {
        var config = new ProducerConfig { BootstrapServers = "a:1" };
        var options = new SenderOptions<string, string>(config);

        config.BootstrapServers = "b:2";

        Assert.Equal("a:1", options.ProducerProperties["bootstrap.servers"]);
    }

    [Fact]
    public void Create_UnknownProducerProperty_ThrowsArgumentException()
    {
        var options = new SenderOptions<string, string>(new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:9", ["no.such.property"] = "1" });

        var error = Assert.ThrowsAny<ArgumentException>(() => KafkaSender.Create(options));

        Assert.Contains("no.such.property", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoBootstrapServers_RejectedNamingIt()
    {
        var options = new SenderOptions<string, string>(new ProducerConfig { LingerMs = 5 });

        var error = Assert.Throws<ArgumentException>(() => KafkaSender.Create(options));

        Assert.Equal("ProducerProperties", error.ParamName);
        Assert.Contains("'bootstrap.servers' is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MockClusterWithoutBootstrapServers_Accepted()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "1");

        using var sender = KafkaSender.Create(new SenderOptions<string, string>(config));
    }
}
