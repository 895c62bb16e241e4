using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Handlers;

/// <summary>The handler registry: every API is declared once, in its handler, and ApiVersions answers from those declarations.</summary>
public sealed class HandlerRegistryTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // What the broker advertises, pinned so that a change to a range is a visible diff in review.
    private static readonly string[] Advertised =
    [
        "Produce 3-11", "Fetch 4-12", "ListOffsets 0-8", "Metadata 0-12", "OffsetCommit 0-8", "OffsetFetch 0-8",
        "FindCoordinator 0-4", "JoinGroup 0-9", "Heartbeat 0-4", "LeaveGroup 0-5", "SyncGroup 0-5", "DescribeGroups 0-5",
        "ListGroups 0-4", "SaslHandshake 0-1", "ApiVersions 0-4", "CreateTopics 0-7", "DeleteTopics 0-6", "DeleteRecords 0-2",
        "OffsetForLeaderEpoch 0-4", "DescribeAcls 0-3", "CreateAcls 0-3", "DeleteAcls 0-3", "DescribeConfigs 0-4", "AlterConfigs 0-2", "SaslAuthenticate 0-2", "CreatePartitions 0-3",
        "DeleteGroups 0-2", "IncrementalAlterConfigs 0-1", "OffsetDelete 0-0", "DescribeUserScramCredentials 0-0",
        "AlterUserScramCredentials 0-0", "DescribeCluster 0-1",
        "InitProducerId 0-5", "AddPartitionsToTxn 0-5", "AddOffsetsToTxn 0-4", "EndTxn 0-4", "TxnOffsetCommit 0-4",
        "DescribeProducers 0-0", "DescribeTransactions 0-0", "ListTransactions 0-1",
    ];

    [Fact]
    public async Task ApiVersions_AnswersTheDeclaredRangesOfTheAdvertisedHandlers()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        var (frame, id) = connection.Frame(new ApiVersionsRequest { ClientSoftwareName = "raw", ClientSoftwareVersion = "1" }, 3);
        await connection.SendAsync(Ct, frame);

        var response = await connection.ReceiveAsync<ApiVersionsResponse>(id, 3, Ct);

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(
            Advertised.Order(StringComparer.Ordinal),
            response.ApiKeys.Select(k => $"{(ApiKey)k.ApiKey} {k.MinVersion}-{k.MaxVersion}").Order(StringComparer.Ordinal));
        Assert.Equal(response.ApiKeys.Select(k => k.ApiKey).Order(), response.ApiKeys.Select(k => k.ApiKey)); // sorted by key
    }

    [Fact]
    public void RegisterAll_FindsEveryHandlerOfTheAssembly_AdvertisedOnesInApiVersionsAndTheOthersServedButHidden()
    {
        var registry = new HandlerRegistry();
        registry.RegisterAll(null!); // the constructors only keep the context

        var handlerTypes = typeof(IRequestHandler).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IRequestHandler).IsAssignableFrom(t)).ToList();
        Assert.Equal(Advertised.Length, registry.Advertised.Count);
        foreach (var type in handlerTypes)
        {
            var handler = Assert.Single(Enumerable.Range(0, 128).Select(k => registry.Find((short)k)), h => h?.GetType() == type)!;
            Assert.True(registry.IsServed(handler.ApiKey, handler.Versions.MaxVersion));
            Assert.False(registry.IsServed(handler.ApiKey, (short)(handler.Versions.MaxVersion + 1)));
            Assert.Equal(handler.Versions.IsAdvertised, registry.Advertised.Contains(handler.Versions));
        }
    }

    [Fact]
    public void Register_SecondHandlerOfOneKey_FailsNamingBoth()
    {
        var registry = new HandlerRegistry();
        registry.Register(new HeartbeatHandler(null!));

        var error = Assert.Throws<InvalidOperationException>(() => registry.Register(new HeartbeatHandler(null!)));

        Assert.Contains("Heartbeat has two handlers: HeartbeatHandler and HeartbeatHandler", error.Message);
    }

    [Fact]
    public void Declaration_BeyondWhatTheCodecReads_FailsAtConstruction()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TooNewHeartbeatHandler());

        Assert.Contains($"Heartbeat declares versions 0–{HeartbeatRequest.HighestSupportedVersion + 1}", error.Message);
    }

    private sealed class TooNewHeartbeatHandler() : RequestHandler<HeartbeatRequest, HeartbeatResponse>(0, (short)(HeartbeatRequest.HighestSupportedVersion + 1))
    {
        protected override ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request) => new(new HeartbeatResponse());
    }
}
