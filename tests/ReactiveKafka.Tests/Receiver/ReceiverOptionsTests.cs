using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>Options are validated when set (or, across options, at creation), with messages naming the option.</summary>
public sealed class ReceiverOptionsTests
{
    private static ConsumerConfig Config() => new() { BootstrapServers = "127.0.0.1:9", GroupId = "g" };

    [Theory]
    [InlineData("enable.auto.commit")]
    [InlineData("enable.auto.offset.store")]
    public void Constructor_OwnedPropertyTrue_RejectedNamingIt(string property)
    {
        var config = Config();
        config.Set(property, "true");

        var error = Assert.Throws<ArgumentException>(() => new ReceiverOptions<string, string>(config));

        Assert.Equal("ConsumerProperties", error.ParamName);
        Assert.Contains(property, error.Message);
    }

    [Fact]
    public void Constructor_OwnedPropertyFalse_Accepted()
    {
        var config = Config();
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;

        _ = new ReceiverOptions<string, string>(config);
    }

    [Fact]
    public void Constructor_NoGroupId_Rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReceiverOptions<string, string>(new ConsumerConfig { BootstrapServers = "x:1" }));

        Assert.Contains("group.id", error.Message);
    }

    [Fact]
    public void Constructor_TypeWithoutBuiltInDeserializer_RequiresOne()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReceiverOptions<string, Guid>(Config()));

        Assert.Equal("ValueDeserializer", error.ParamName);
    }

    [Fact]
    public void Init_OutOfRangeValues_RejectedNamingTheOption()
    {
        var options = new ReceiverOptions<string, string>(Config());

        Assert.Equal("BufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => options with { BufferSize = 0 }).ParamName);
        Assert.Equal("MaxUnacknowledged", Assert.Throws<ArgumentOutOfRangeException>(() => options with { MaxUnacknowledged = 0 }).ParamName);
        Assert.Equal("MaxDeferredCommits", Assert.Throws<ArgumentOutOfRangeException>(() => options with { MaxDeferredCommits = 0 }).ParamName);
        Assert.Equal("MaxCommitAttempts", Assert.Throws<ArgumentOutOfRangeException>(() => options with { MaxCommitAttempts = 0 }).ParamName);
        Assert.Equal("CommitBatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => options with { CommitBatchSize = -1 }).ParamName);
        Assert.Equal("AtMostOnceCommitAheadSize", Assert.Throws<ArgumentOutOfRangeException>(() => options with { AtMostOnceCommitAheadSize = -1 }).ParamName);
        Assert.Equal("CommitInterval", Assert.Throws<ArgumentOutOfRangeException>(() => options with { CommitInterval = TimeSpan.FromSeconds(-1) }).ParamName);
        Assert.Equal("PollTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => options with { PollTimeout = TimeSpan.Zero }).ParamName);
        Assert.Equal("CloseTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => options with { CloseTimeout = TimeSpan.FromSeconds(-1) }).ParamName);
        Assert.Equal("Topics", Assert.Throws<ArgumentException>(() => options with { Topics = [] }).ParamName);
        Assert.Equal("Assignment", Assert.Throws<ArgumentException>(() => options with { Assignment = [new TopicPartitionOffset("t", 0, 0), new TopicPartitionOffset("t", 0, 5)] }).ParamName);
        Assert.Equal("Scheduler", Assert.Throws<ArgumentNullException>(() => options with { Scheduler = null! }).ParamName);
    }

    [Fact]
    public void Create_NoneOrSeveralSubscriptionKinds_Rejected()
    {
        var options = new ReceiverOptions<string, string>(Config());

        Assert.Contains("none is set", Assert.Throws<ArgumentException>(() => KafkaReceiver.Create(options)).Message);
        Assert.Contains("2 are set", Assert.Throws<ArgumentException>(() => KafkaReceiver.Create(options with { Topics = ["a"], TopicPattern = "a.*" })).Message);
        _ = KafkaReceiver.Create(options with { TopicPattern = "a.*" });
    }

    [Fact]
    public void TopicPattern_WithoutCaret_GetsOne()
    {
        var options = new ReceiverOptions<string, string>(Config()) { TopicPattern = "orders-.*" };

        Assert.Equal("^orders-.*", options.TopicPattern);
    }

    [Fact]
    public void Constructor_ConfigChangedLater_OptionsUnchanged()
    {
        var config = Config();
        var options = new ReceiverOptions<string, string>(config);
        config.GroupId = "other";

        Assert.Equal("g", options.ConsumerProperties["group.id"]);
    }

    [Fact]
    public void Create_NoBootstrapServers_RejectedNamingIt()
    {
        var options = new ReceiverOptions<string, string>(new ConsumerConfig { GroupId = "g" }) { Topics = ["x"] };

        var error = Assert.Throws<ArgumentException>(() => KafkaReceiver.Create(options));

        Assert.Equal("ConsumerProperties", error.ParamName);
        Assert.Contains("'bootstrap.servers' is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BootstrapServersByAliasOrMockCluster_Accepted()
    {
        var alias = new ConsumerConfig { GroupId = "g" };
        alias.Set("metadata.broker.list", "127.0.0.1:9");
        var mock = new ConsumerConfig { GroupId = "g" };
        mock.Set("test.mock.num.brokers", "1");

        _ = KafkaReceiver.Create(new ReceiverOptions<string, string>(alias) { Topics = ["x"] });
        _ = KafkaReceiver.Create(new ReceiverOptions<string, string>(mock) { Topics = ["x"] });
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("bad topic!")]
    [InlineData("orders/eu")]
    [InlineData("caf\u00e9")]
    public void Topics_IllegalKafkaTopicName_RejectedNamingTheOption(string topic)
    {
        topic = System.Text.RegularExpressions.Regex.Unescape(topic);
        var options = new ReceiverOptions<string, string>(Config());

        var error = Assert.Throws<ArgumentException>(() => options with { Topics = ["fine", topic] });

        Assert.Equal("Topics", error.ParamName);
        Assert.Contains($"'{topic}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a legal Kafka topic name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Topics_NameLongerThan249_RejectedAndAt249Accepted()
    {
        var options = new ReceiverOptions<string, string>(Config());

        var error = Assert.Throws<ArgumentException>(() => options with { Topics = [new string('a', 250)] });

        Assert.Equal("Topics", error.ParamName);
        Assert.Contains("250 characters", error.Message, StringComparison.Ordinal);
        _ = options with { Topics = [new string('a', 249), "a.b_c-D9"] };
    }
}
