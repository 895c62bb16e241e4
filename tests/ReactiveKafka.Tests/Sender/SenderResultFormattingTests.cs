using Confluent.Kafka;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>Results print as <c>orders [1] @0</c>: Confluent's own TopicPartitionOffset doubles the brackets.</summary>
public sealed class SenderResultFormattingTests
{
    [Fact]
    public void Success_PrintsTopicPartitionOffsetWithSingleBrackets()
    {
        var result = new SenderResult<int>("orders", new Partition(1), new Offset(0), default, null, 7);

        Assert.Equal("orders [1] @0 (7)", result.ToString());
        Assert.NotEqual("orders [1] @0", result.TopicPartitionOffset.ToString()); // Confluent's form, the reason for ours
    }

    [Fact]
    public void Failure_BeforeAPartitionWasChosen_PrintsAny()
    {
        var result = new SenderResult<string>("orders", Partition.Any, Offset.Unset, default, new InvalidOperationException("boom"), "c");

        Assert.Equal("orders [any] failed: boom (c)", result.ToString());
    }
}
