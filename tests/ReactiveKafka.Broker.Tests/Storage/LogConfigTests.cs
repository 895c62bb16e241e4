using ReactiveKafka.Broker.Storage;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage;

public sealed class LogConfigTests
{
    [Fact]
    public void FromTopicConfigs_MapsKafkaNames()
    {
        var error = LogConfig.FromTopicConfigs(new Dictionary<string, string>
        {
            ["segment.bytes"] = "1048576",
            ["segment.ms"] = "3600000",
            ["retention.ms"] = "-1",
            ["retention.bytes"] = "99",
            ["max.message.bytes"] = "2000",
            ["index.interval.bytes"] = "128",
            ["message.timestamp.type"] = "LogAppendTime",
            ["cleanup.policy"] = "compact,delete",
            ["min.insync.replicas"] = "2",
        }, LogConfig.Default, out var config);

        Assert.Null(error);
        Assert.Equal((1048576, 3600000L, -1L, 99L, 2000, 128), (config.SegmentBytes, config.SegmentMs, config.RetentionMs, config.RetentionBytes, config.MaxMessageBytes, config.IndexIntervalBytes));
        Assert.Equal(TimestampType.LogAppendTime, config.MessageTimestampType);
        Assert.Equal("compact,delete", config.CleanupPolicy);
        Assert.Equal("2", config.ToTopicConfigs()["min.insync.replicas"]);
    }

    [Theory]
    [InlineData("segment.bytes", "10")]
    [InlineData("retention.ms", "-2")]
    [InlineData("message.timestamp.type", "Now")]
    [InlineData("cleanup.policy", "keep")]
    [InlineData("flush.messages", "0")]
    [InlineData("unknown.config", "1")]
    public void FromTopicConfigs_InvalidEntry_ReturnsAnErrorNamingTheKey(string key, string value)
    {
        var error = LogConfig.FromTopicConfigs(new Dictionary<string, string> { [key] = value }, LogConfig.Default, out var config);
        Assert.NotNull(error);
        Assert.Contains(key, error);
        Assert.Same(LogConfig.Default, config);
    }

    [Theory]
    [InlineData("1", null, (int)FlushPolicy.Durable)]
    [InlineData("9223372036854775807", null, (int)FlushPolicy.OperatingSystem)]
    [InlineData("10000", "500", (int)FlushPolicy.Interval)]
    public void FromTopicConfigs_FlushSettings_PickThePolicy(string messages, string? ms, int expected)
    {
        var configs = new Dictionary<string, string> { ["flush.messages"] = messages };
        if (ms is not null)
        {
            configs["flush.ms"] = ms;
        }

        Assert.Null(LogConfig.FromTopicConfigs(configs, LogConfig.Default with { FlushPolicy = FlushPolicy.OperatingSystem }, out var config));
        Assert.Equal((FlushPolicy)expected, config.FlushPolicy);
    }

    [Fact]
    public void ToTopicConfigs_DescribesEverySupportedNameAndRoundTrips()
    {
        var rendered = LogConfig.Default.ToTopicConfigs();
        Assert.Equal(LogConfig.SupportedConfigNames.Order(StringComparer.Ordinal), rendered.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1048588", rendered["max.message.bytes"]);
        Assert.Equal("1", rendered["flush.messages"]);
        Assert.Null(LogConfig.FromTopicConfigs(rendered, LogConfig.Default, out var config));
        Assert.Equal(LogConfig.Default with { UnenforcedConfigs = config.UnenforcedConfigs }, config);
    }

    [Fact]
    public void FromTopicConfigs_CompactionSettings_AreEnforcedFields()
    {
        Assert.Null(LogConfig.FromTopicConfigs(new Dictionary<string, string>
        {
            ["cleanup.policy"] = "compact",
            ["min.cleanable.dirty.ratio"] = "0.25",
            ["min.compaction.lag.ms"] = "10",
            ["max.compaction.lag.ms"] = "1000",
            ["delete.retention.ms"] = "99",
            ["segment.index.bytes"] = "4096",
        }, LogConfig.Default, out var config));

        Assert.Equal((0.25, 10L, 1000L, 99L, 4096), (config.MinCleanableDirtyRatio, config.MinCompactionLagMs, config.MaxCompactionLagMs, config.DeleteRetentionMs, config.SegmentIndexBytes));
        Assert.True(config.Compact);
        Assert.False(config.Delete);
        Assert.Empty(config.UnenforcedConfigs);
        Assert.Equal("0.25", config.ToTopicConfigs()["min.cleanable.dirty.ratio"]);
    }

    [Theory]
    [InlineData("compact", true, false)]
    [InlineData("delete", false, true)]
    [InlineData("compact,delete", true, true)]
    [InlineData("delete , compact", true, true)]
    public void CleanupPolicy_CompactAndDelete(string policy, bool compact, bool delete)
    {
        Assert.Null(LogConfig.FromTopicConfigs(new Dictionary<string, string> { ["cleanup.policy"] = policy }, LogConfig.Default, out var config));
        Assert.Equal((compact, delete), (config.Compact, config.Delete));
    }

    [Fact]
    public void FromTopicConfigs_MinCompactionLagAboveMax_ConflictAsKafkaWordsIt()
    {
        var error = LogConfig.FromTopicConfigs(new Dictionary<string, string> { ["min.compaction.lag.ms"] = "500", ["max.compaction.lag.ms"] = "100" }, LogConfig.Default, out var config);

        Assert.Equal("conflict topic config setting min.compaction.lag.ms (500) > max.compaction.lag.ms (100)", error);
        Assert.Same(LogConfig.Default, config);
    }

    [Theory]
    [InlineData("compact", 1000L)]
    [InlineData("delete", 604800000L)]
    public void RollMs_CompactedTopic_RollsAtMaxCompactionLagWhenSmaller(string policy, long expected)
    {
        var config = LogConfig.Default with { CleanupPolicy = policy, MaxCompactionLagMs = 1000 };

        Assert.Equal(expected, config.RollMs);
    }
}
