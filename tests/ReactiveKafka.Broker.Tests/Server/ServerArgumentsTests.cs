using ReactiveKafka.Broker.Server;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

public sealed class ServerArgumentsTests
{
    [Fact]
    public void Parse_EveryOption_MapsToBrokerOptions()
    {
        var arguments = ServerArguments.Parse([
            "--data-dir", "/tmp/d", "--listen", "127.0.0.1:0", "--advertised", "example:9", "--node-id", "3", "--partitions", "4",
            "--no-auto-create", "--segment-bytes", "20000", "--retention-ms", "-1", "--retention-bytes", "100000", "--flush", "os",
            "--flush-interval-ms", "50", "--max-request-bytes", "4096", "--max-message-bytes", "2048", "--max-connections", "7", "--log-level", "warning",
            "--max-connections-per-ip", "5", "--max-connections-per-ip-overrides", "127.0.0.1:9, ::1:0", "--connections-max-idle-ms", "1500",
            "--partial-request-timeout-ms", "-1",
            "--cleaner-dedupe-buffer-bytes", "1048576", "--cleaner-io-max-bytes-per-second", "5000000", "--cleaner-backoff-ms", "250", "--producer-id-expiration-ms", "60000"]);

        var options = arguments.ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.Equal("/tmp/d", options.DataDirectory);
        Assert.Equal("127.0.0.1:0", options.Listener);
        Assert.Equal("example:9", options.AdvertisedListener);
        Assert.Equal(3, options.NodeId);
        Assert.Equal(4, options.DefaultPartitions);
        Assert.False(options.AutoCreateTopics);
        Assert.Equal(20000, options.SegmentBytes);
        Assert.Null(options.Retention);
        Assert.Equal(100000, options.RetentionBytes);
        Assert.Equal(BrokerFlushPolicy.OperatingSystem, options.FlushPolicy);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.FlushInterval);
        Assert.Equal(4096, options.MaxRequestSize);
        Assert.Equal(2048, options.MaxMessageBytes);
        Assert.Equal(7, options.MaxConnections);
        Assert.Equal(5, options.MaxConnectionsPerIp);
        Assert.Equal(new Dictionary<string, int> { ["127.0.0.1"] = 9, ["::1"] = 0 }, options.MaxConnectionsPerIpOverrides);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectionsMaxIdle);
        Assert.Null(options.PartialRequestTimeout);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, arguments.LogLevel);
        Assert.Equal((1048576L, 5_000_000d, TimeSpan.FromMilliseconds(250)), (options.CleanerDedupeBufferSize, options.CleanerIoMaxBytesPerSecond, options.CleanerBackoff));
        Assert.Null(ServerArguments.Parse([]).ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CleanerIoMaxBytesPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ProducerIdExpiration);
        Assert.Equal(TimeSpan.FromDays(1), ServerArguments.Parse([]).ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).ProducerIdExpiration);
        options.Validate();
    }

    [Fact]
    public void Parse_NoArguments_BindsToLoopback()
    {
        var arguments = ServerArguments.Parse([]);

        Assert.StartsWith("127.0.0.1:", arguments.Listen);
        Assert.False(arguments.ShowHelp);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--partitions", "many")]
    [InlineData("--flush", "sometimes")]
    [InlineData("--data-dir")]
    [InlineData("--max-connections-per-ip-overrides", "127.0.0.1")]
    [InlineData("--connections-max-idle-ms", "soon")]
    public void Parse_BadArguments_ThrowNamingTheOption(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerArguments.Parse(args));

        Assert.Contains(args[0], error.Message);
    }

    [Fact]
    public void Parse_NoConnectionOptions_KafkasDefaults()
    {
        var options = ServerArguments.Parse([]).ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.Equal(TimeSpan.FromMinutes(10), options.ConnectionsMaxIdle);
        Assert.Equal(int.MaxValue, options.MaxConnectionsPerIp);
        Assert.Equal(TimeSpan.FromSeconds(60), options.PartialRequestTimeout);
    }

    [Fact]
    public void HelpText_NamesTheConnectionOptionsAndKafkasNames()
    {
        foreach (var text in (string[])["--max-connections-per-ip ", "--max-connections-per-ip-overrides", "--connections-max-idle-ms", "--partial-request-timeout-ms",
                     "max.connections.per.ip", "connections.max.idle.ms", "no Kafka twin"])
        {
            Assert.Contains(text, ServerArguments.HelpText);
        }
    }

    [Fact]
    public void Parse_TransactionOptions_MapToBrokerOptionsAndAreInTheHelp()
    {
        var options = ServerArguments.Parse([
            "--transaction-max-timeout-ms", "60000", "--transaction-abort-timed-out-interval-ms", "250",
            "--transactional-id-expiration-ms", "3600000", "--transaction-remove-expired-interval-ms", "5000",
        ]).ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.Equal(
            (TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(250), TimeSpan.FromHours(1), TimeSpan.FromSeconds(5)),
            (options.TransactionMaxTimeout, options.TransactionAbortTimedOutInterval, options.TransactionalIdExpiration, options.TransactionRemoveExpiredInterval));
        foreach (var text in (string[])["--transaction-max-timeout-ms", "transaction.max.timeout.ms", "--transaction-abort-timed-out-interval-ms", "--transactional-id-expiration-ms", "--transaction-remove-expired-interval-ms"])
        {
            Assert.Contains(text, ServerArguments.HelpText);
        }
    }

    [Fact]
    public void Parse_Help_ShowsHelp() => Assert.True(ServerArguments.Parse(["--help"]).ShowHelp);

    [Fact]
    public void HelpText_ListsTheCleanerOptions()
    {
        Assert.Contains("--cleaner-dedupe-buffer-bytes", ServerArguments.HelpText);
        Assert.Contains("--cleaner-io-max-bytes-per-second", ServerArguments.HelpText);
        Assert.Contains("--cleaner-backoff-ms", ServerArguments.HelpText);
        Assert.Contains("--producer-id-expiration-ms", ServerArguments.HelpText);
    }
}
