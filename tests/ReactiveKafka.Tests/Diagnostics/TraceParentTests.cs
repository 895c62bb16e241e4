using System.Diagnostics;
using System.Text;
using ReactiveKafka.Diagnostics;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>The process span's parser of a version-00 <c>traceparent</c> header, read from its bytes.</summary>
public sealed class TraceParentTests
{
    [Fact]
    public void TryParseTraceParent_Version00_SameContextAsTheRuntimesParser()
    {
        const string header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        Assert.True(KafkaTracing.TryParseTraceParent(Encoding.ASCII.GetBytes(header), "k=v", out var parsed));
        Assert.True(ActivityContext.TryParse(header, "k=v", isRemote: true, out var expected));
        Assert.Equal(expected, parsed);
        Assert.Equal(ActivityTraceFlags.Recorded, parsed.TraceFlags);
        Assert.True(parsed.IsRemote);
        Assert.Equal("k=v", parsed.TraceState);
    }

    [Fact]
    public void TryParseTraceParent_NotSampledFlag_NoneFlags()
    {
        Assert.True(KafkaTracing.TryParseTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"u8, null, out var parsed));
        Assert.Equal(ActivityTraceFlags.None, parsed.TraceFlags);
    }

    [Theory]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")] // upper case: not W3C's form
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")] // all-zero trace id
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")] // all-zero span id
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")] // another version: the runtime's parser
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")] // too short
    [InlineData("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")] // wrong separator
    [InlineData("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01")] // not hex
    public void TryParseTraceParent_NotTheVersion00Form_False(string header)
    {
        Assert.False(KafkaTracing.TryParseTraceParent(Encoding.ASCII.GetBytes(header), null, out var parsed));
        Assert.Equal(default, parsed);
    }
}
