using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Messages;

public sealed class ApiTablesTests
{
    [Theory]
    [InlineData(ApiKey.ApiVersions, (short)0, (short)1, (short)0)]
    [InlineData(ApiKey.ApiVersions, (short)3, (short)2, (short)0)] // ApiVersions responses always use header v0
    [InlineData(ApiKey.Produce, (short)8, (short)1, (short)0)]
    [InlineData(ApiKey.Produce, (short)9, (short)2, (short)1)]
    [InlineData(ApiKey.Metadata, (short)9, (short)2, (short)1)]
    [InlineData(ApiKey.ControlledShutdown, (short)0, (short)0, (short)0)]
    [InlineData(ApiKey.ControlledShutdown, (short)3, (short)2, (short)1)]
    [InlineData(ApiKey.SaslHandshake, (short)1, (short)1, (short)0)]
    public void Header_versions_follow_flexibility(ApiKey apiKey, short apiVersion, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, ApiVersionHeaders.RequestHeaderVersion(apiKey, apiVersion));
        Assert.Equal(responseHeader, ApiVersionHeaders.ResponseHeaderVersion(apiKey, apiVersion));
    }

    [Fact]
    public void Generated_table_matches_the_message_classes()
    {
        // One table entry per generated request class: the table and the classes come from the same specs.
        Assert.Equal(
            MessageCatalog.MessageTypes.Count(t => t.Name.EndsWith("Request", StringComparison.Ordinal) && t.Name != "RequestHeader"),
            ApiMessages.Generated.Count);
        Assert.True(ApiMessages.TryGetGenerated(ApiKey.Fetch, out var fetch));
        Assert.Equal(FetchRequest.LowestSupportedVersion, fetch.LowestVersion);
        Assert.Equal(FetchRequest.HighestSupportedVersion, fetch.HighestVersion);
        Assert.False(fetch.IsFlexible(11));
        Assert.True(fetch.IsFlexible(12));
        Assert.Equal(FetchRequest.IsFlexible(12), FetchResponse.IsFlexible(12));
        Assert.False(ApiMessages.TryGetGenerated(ApiKey.LeaderAndIsr, out _));
        Assert.True(ApiMessages.TryGetKnown(ApiKey.LeaderAndIsr, out _));
        Assert.Equal(Enum.GetValues<ApiKey>().Length, ApiMessages.Known.Count);
    }

    [Fact]
    public void Api_keys_keep_their_wire_values()
    {
        Assert.Equal(0, (short)ApiKey.Produce);
        Assert.Equal(18, (short)ApiKey.ApiVersions);
        Assert.Equal(60, (short)ApiKey.DescribeCluster);
        Assert.Equal(ApiKey.Produce, ProduceRequest.ApiKey);
    }
}
