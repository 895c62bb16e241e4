using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol.Messages;
using Xunit;
using ErrorCode = ReactiveKafka.Protocol.ErrorCode;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// The authorizer on APIs Confluent.Kafka's admin client does not send (or not alone), on raw frames after a SASL/PLAIN
/// login: refused with Kafka's error code without the ACL, answered with it.
/// </summary>
public sealed class RawApiAclTests(AuthorizingBrokerFixture fixture) : IClassFixture<AuthorizingBrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OffsetForLeaderEpoch_NeedsDescribeOnTheTopic()
    {
        var topic = await NewTopicAsync("epoch");
        using var alice = await LoginAsync("alice");
        var request = new OffsetForLeaderEpochRequest
        {
            Topics = [new OffsetForLeaderEpochRequest.OffsetForLeaderTopic { Topic = topic, Partitions = [new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 0, LeaderEpoch = 0 }] }],
        };

        var refused = await SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(alice, request, 4);
        Assert.Equal((short)ErrorCode.TopicAuthorizationFailed, refused.Topics[0].Partitions[0].ErrorCode);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Describe));
        var answered = await SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(alice, request, 4);
        Assert.Equal((short)ErrorCode.None, answered.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task DescribeProducers_NeedsReadOnTheTopic()
    {
        var topic = await NewTopicAsync("producers");
        using var alice = await LoginAsync("alice");
        var request = new DescribeProducersRequest { Topics = [new DescribeProducersRequest.TopicRequest { Name = topic, PartitionIndexes = [0] }] };

        var refused = await SendAsync<DescribeProducersRequest, DescribeProducersResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.TopicAuthorizationFailed, refused.Topics[0].Partitions[0].ErrorCode);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Read));
        var answered = await SendAsync<DescribeProducersRequest, DescribeProducersResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.None, answered.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task DescribeTransactions_NeedsDescribeOnTheTransactionalId()
    {
        var id = "txn-" + Guid.NewGuid().ToString("N");
        using var alice = await LoginAsync("alice");
        var request = new DescribeTransactionsRequest { TransactionalIds = [id] };

        var refused = await SendAsync<DescribeTransactionsRequest, DescribeTransactionsResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.TransactionalIdAuthorizationFailed, refused.TransactionStates[0].ErrorCode);

        await CreateAsync(Allow(TransactionalIdResource, id, "User:alice", AclOperation.Describe));
        var answered = await SendAsync<DescribeTransactionsRequest, DescribeTransactionsResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.TransactionalIdNotFound, answered.TransactionStates[0].ErrorCode);
    }

    [Fact]
    public async Task IdempotentInitProducerId_NeedsIdempotentWriteOnTheCluster()
    {
        // bob has no ACL in this class but this one, so no WRITE on a topic lets him through either.
        using var bob = await LoginAsync("bob");
        var request = new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = -1 };

        var refused = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4);
        Assert.Equal((short)ErrorCode.ClusterAuthorizationFailed, refused.ErrorCode);

        await CreateAsync(Allow(ResourceType.Broker, "kafka-cluster", "User:bob", AclOperation.IdempotentWrite));
        var answered = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4);
        Assert.Equal((short)ErrorCode.None, answered.ErrorCode);
        Assert.True(answered.ProducerId >= 0);
    }

    [Fact]
    public async Task OffsetDelete_NeedsDeleteOnTheGroup()
    {
        var group = BrokerFixture.NewGroup();
        using var alice = await LoginAsync("alice");
        var request = new OffsetDeleteRequest { GroupId = group };

        var refused = await SendAsync<OffsetDeleteRequest, OffsetDeleteResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.GroupAuthorizationFailed, refused.ErrorCode);

        await CreateAsync(Allow(ResourceType.Group, group, "User:alice", AclOperation.Delete));
        var answered = await SendAsync<OffsetDeleteRequest, OffsetDeleteResponse>(alice, request, 0);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, answered.ErrorCode);
    }

    [Fact]
    public async Task TransactionApis_WithoutWriteOnTheTransactionalId_AreRefused_ThenGroupAndTopicAreChecked()
    {
        var id = "txn-" + Guid.NewGuid().ToString("N");
        var group = BrokerFixture.NewGroup();
        var topic = await NewTopicAsync("txn-offsets");
        using var alice = await LoginAsync("alice");
        var addOffsets = new AddOffsetsToTxnRequest { TransactionalId = id, ProducerId = 1, ProducerEpoch = 0, GroupId = group };
        var commit = new TxnOffsetCommitRequest
        {
            TransactionalId = id, GroupId = group, ProducerId = 1, ProducerEpoch = 0,
            Topics = [new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic { Name = topic, Partitions = [new TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition { PartitionIndex = 0, CommittedOffset = 1 }] }],
        };

        Assert.Equal((short)ErrorCode.TransactionalIdAuthorizationFailed, (await SendAsync<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(alice, addOffsets, 3)).ErrorCode);
        Assert.Equal((short)ErrorCode.TransactionalIdAuthorizationFailed,
            (await SendAsync<EndTxnRequest, EndTxnResponse>(alice, new EndTxnRequest { TransactionalId = id, ProducerId = 1, ProducerEpoch = 0, Committed = true }, 3)).ErrorCode);
        Assert.Equal((short)ErrorCode.TransactionalIdAuthorizationFailed, (await SendAsync<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(alice, commit, 3)).Topics[0].Partitions[0].ErrorCode);

        // With WRITE on the id, the group comes next (READ), then the topic (READ).
        await CreateAsync(Allow(TransactionalIdResource, id, "User:alice", AclOperation.Write));
        Assert.Equal((short)ErrorCode.GroupAuthorizationFailed, (await SendAsync<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(alice, addOffsets, 3)).ErrorCode);
        Assert.Equal((short)ErrorCode.GroupAuthorizationFailed, (await SendAsync<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(alice, commit, 3)).Topics[0].Partitions[0].ErrorCode);
        await CreateAsync(Allow(ResourceType.Group, group, "User:alice", AclOperation.Read));
        Assert.Equal((short)ErrorCode.TopicAuthorizationFailed, (await SendAsync<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(alice, commit, 3)).Topics[0].Partitions[0].ErrorCode);
        // Authorized, the coordinator answers (the id has no producer), not the authorizer.
        var answered = (ErrorCode)(await SendAsync<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(alice, addOffsets, 3)).ErrorCode;
        Assert.DoesNotContain(answered, new[] { ErrorCode.TransactionalIdAuthorizationFailed, ErrorCode.GroupAuthorizationFailed, ErrorCode.None });
    }

    [Fact]
    public async Task ListTransactions_ShowsOnlyTheIdsThePrincipalMayDescribe()
    {
        var id = "txn-" + Guid.NewGuid().ToString("N");
        var config = new ProducerConfig(fixture.Config<ClientConfig>("admin")) { TransactionalId = id };
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(20));
        using var alice = await LoginAsync("alice");

        var hidden = await SendAsync<ListTransactionsRequest, ListTransactionsResponse>(alice, new ListTransactionsRequest(), 0);
        Assert.DoesNotContain(hidden.TransactionStates, t => t.TransactionalId == id);

        await CreateAsync(Allow(TransactionalIdResource, id, "User:alice", AclOperation.Describe));
        var shown = await SendAsync<ListTransactionsRequest, ListTransactionsResponse>(alice, new ListTransactionsRequest(), 0);
        Assert.Contains(shown.TransactionStates, t => t.TransactionalId == id);
    }

    // Kafka's TRANSACTIONAL_ID resource type (5), which Confluent.Kafka's enum does not name but librdkafka sends.
    private const ResourceType TransactionalIdResource = (ResourceType)5;

    private async Task<RawKafkaConnection> LoginAsync(string user)
    {
        var connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.ListenEndPoint, Ct);
        await SaslProtocolTests.HandshakeAsync(connection, "PLAIN", 1);
        var login = await SaslProtocolTests.AuthenticateAsync(connection, SaslProtocolTests.Plain(user, user + "-pw"), 2);
        Assert.Equal((short)ErrorCode.None, login.ErrorCode);
        return connection;
    }

    private static async Task<TResponse> SendAsync<TRequest, TResponse>(RawKafkaConnection connection, TRequest request, short version)
        where TRequest : ReactiveKafka.Protocol.IKafkaApiMessage<TRequest>
        where TResponse : ReactiveKafka.Protocol.IKafkaApiMessage<TResponse>
    {
        var (frame, id) = connection.Frame(request, version);
        await connection.SendAsync(Ct, frame);
        return await connection.ReceiveAsync<TResponse>(id, version, Ct);
    }

    private async Task<string> NewTopicAsync(string prefix)
    {
        var topic = BrokerFixture.NewTopic(prefix);
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        return topic;
    }

    private async Task CreateAsync(AclBinding binding)
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        await admin.CreateAclsAsync([binding]);
    }

    private static AclBinding Allow(ResourceType type, string name, string principal, AclOperation operation) => new()
    {
        Pattern = new ResourcePattern { Type = type, Name = name, ResourcePatternType = ResourcePatternType.Literal },
        Entry = new AccessControlEntry { Principal = principal, Host = "*", Operation = operation, PermissionType = AclPermissionType.Allow },
    };
}
