using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol.Messages;
using Xunit;
using ErrorCode = ReactiveKafka.Protocol.ErrorCode;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// The authorizer on AddPartitionsToTxn and InitProducerId, as Kafka's KafkaApis: a client's AddPartitionsToTxn (v0–3)
/// refuses the topics without WRITE and leaves the others OPERATION_NOT_ATTEMPTED, the brokers' batched v4+ needs
/// CLUSTER_ACTION and checks no topic; an idempotent producer's InitProducerId passes with WRITE on any one topic
/// (Kafka's authorizeByResourceType) and is refused CLUSTER_AUTHORIZATION_FAILED without it. Raw frames after a SASL
/// login, each alice's own transactional id and topics; bob is kept for the idempotent producer.
/// </summary>
public sealed class TransactionAclTests(AuthorizingBrokerFixture fixture) : IClassFixture<AuthorizingBrokerFixture>
{
    // Kafka's TRANSACTIONAL_ID resource type (5), which Confluent.Kafka's enum does not name but librdkafka sends.
    private const ResourceType TransactionalIdResource = (ResourceType)5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task AddPartitionsToTxn_ClientVersions_RefuseTheTopicWithoutWrite_AndDoNotAttemptTheOther(short version)
    {
        var (writable, closed) = (await NewTopicAsync("txn-writable"), await NewTopicAsync("txn-closed"));
        var id = "txn-" + Guid.NewGuid().ToString("N");
        await CreateAsync(Allow(TransactionalIdResource, id, "User:alice", AclOperation.Write), Allow(ResourceType.Topic, writable, "User:alice", AclOperation.Write));
        using var alice = await LoginAsync("alice");
        var producer = await InitTransactionalAsync(alice, id);
        var request = new AddPartitionsToTxnRequest
        {
            V3AndBelowTransactionalId = id, V3AndBelowProducerId = producer.ProducerId, V3AndBelowProducerEpoch = producer.ProducerEpoch,
            V3AndBelowTopics = [Topic(writable), Topic(closed)],
        };

        var refused = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(alice, request, version);
        Assert.Equal((short)ErrorCode.OperationNotAttempted, PartitionError(refused.ResultsByTopicV3AndBelow, writable));
        Assert.Equal((short)ErrorCode.TopicAuthorizationFailed, PartitionError(refused.ResultsByTopicV3AndBelow, closed));

        // With WRITE on the second topic the same request reaches the coordinator, which adds both.
        await CreateAsync(Allow(ResourceType.Topic, closed, "User:alice", AclOperation.Write));
        var added = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(alice, request, version);
        Assert.Equal((short)ErrorCode.None, PartitionError(added.ResultsByTopicV3AndBelow, writable));
        Assert.Equal((short)ErrorCode.None, PartitionError(added.ResultsByTopicV3AndBelow, closed));
    }

    [Fact]
    public async Task AddPartitionsToTxn_ClientVersion_RefusesInternalTopics_EvenToASuperUser()
    {
        var topic = await NewTopicAsync("txn-internal");
        var id = "txn-" + Guid.NewGuid().ToString("N");
        using var admin = await LoginAsync("admin");
        var producer = await InitTransactionalAsync(admin, id);
        var request = new AddPartitionsToTxnRequest
        {
            V3AndBelowTransactionalId = id, V3AndBelowProducerId = producer.ProducerId, V3AndBelowProducerEpoch = producer.ProducerEpoch,
            V3AndBelowTopics = [Topic(topic), Topic("__consumer_offsets")],
        };

        var refused = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(admin, request, 3);

        Assert.Equal((short)ErrorCode.TopicAuthorizationFailed, PartitionError(refused.ResultsByTopicV3AndBelow, "__consumer_offsets"));
        Assert.Equal((short)ErrorCode.OperationNotAttempted, PartitionError(refused.ResultsByTopicV3AndBelow, topic));
    }

    [Fact]
    public async Task AddPartitionsToTxn_BatchedVersion_NeedsClusterAction_AndChecksNoTopic()
    {
        // alice may WRITE the transactional id but not the topic: v4+ asks neither, only CLUSTER_ACTION.
        var topic = await NewTopicAsync("txn-batched");
        var id = "txn-" + Guid.NewGuid().ToString("N");
        await CreateAsync(Allow(TransactionalIdResource, id, "User:alice", AclOperation.Write));
        using var alice = await LoginAsync("alice");
        var producer = await InitTransactionalAsync(alice, id);
        var request = new AddPartitionsToTxnRequest
        {
            Transactions =
            [
                new AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction
                {
                    TransactionalId = id, ProducerId = producer.ProducerId, ProducerEpoch = producer.ProducerEpoch, VerifyOnly = false, Topics = [Topic(topic)],
                },
            ],
        };

        var refused = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(alice, request, 4);
        Assert.Equal((short)ErrorCode.ClusterAuthorizationFailed, refused.ErrorCode);
        Assert.Empty(refused.ResultsByTransaction);

        await CreateAsync(Allow(ResourceType.Broker, "kafka-cluster", "User:alice", AclOperation.ClusterAction));
        var added = await SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(alice, request, 4);
        Assert.Equal((short)ErrorCode.None, added.ErrorCode);
        var transaction = Assert.Single(added.ResultsByTransaction);
        Assert.Equal(id, transaction.TransactionalId);
        Assert.Equal((short)ErrorCode.None, PartitionError(transaction.TopicResults, topic));
    }

    [Fact]
    public async Task IdempotentInitProducerId_IsAllowedByWriteOnAnyOneTopic_AndRefusedWithout()
    {
        // bob has no ACL in this class but the ones this test gives him.
        var topic = await NewTopicAsync("idempotent");
        using var bob = await LoginAsync("bob");
        var request = new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = -1 };

        var refused = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4);
        Assert.Equal((short)ErrorCode.ClusterAuthorizationFailed, refused.ErrorCode);
        Assert.Equal(-1, refused.ProducerId);

        // READ on a topic is not WRITE; a DENY of WRITE on the very topic cancels its ALLOW.
        await CreateAsync(Allow(ResourceType.Topic, topic, "User:bob", AclOperation.Read));
        Assert.Equal((short)ErrorCode.ClusterAuthorizationFailed, (await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4)).ErrorCode);
        await CreateAsync(Allow(ResourceType.Topic, topic, "User:bob", AclOperation.Write), Deny(ResourceType.Topic, topic, "User:bob", AclOperation.Write));
        Assert.Equal((short)ErrorCode.ClusterAuthorizationFailed, (await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4)).ErrorCode);

        var other = await NewTopicAsync("idempotent-other");
        await CreateAsync(Allow(ResourceType.Topic, other, "User:bob", AclOperation.Write));
        var answered = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, request, 4);
        Assert.Equal((short)ErrorCode.None, answered.ErrorCode);
        Assert.True(answered.ProducerId >= 0);

        // And a real idempotent producer (librdkafka's InitProducerId, then Produce) writes to that topic.
        var config = new ProducerConfig(fixture.Config<ClientConfig>("bob")) { EnableIdempotence = true, MessageTimeoutMs = 20_000 };
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        Assert.Equal(0, (await producer.ProduceAsync(other, new Message<Null, string> { Value = "once" }, Ct)).Offset.Value);
    }

    [Fact]
    public async Task IdempotentInitProducerId_WithAllowEveryone_PassesWhileTopicAclsNameOtherTopics()
    {
        // Kafka's authorizeByResourceType first asks about a name no ACL names, so allow.everyone.if.no.acl.found lets
        // an idempotent producer in even though topic ACLs exist (for others).
        var directory = Path.Combine(Path.GetTempPath(), "rk-acl-everyone-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var broker = await KafkaBroker.StartAsync(AuthorizingBrokerFixture.Options(directory, null, allowEveryone: true), Ct);
            using (var admin = new AdminClientBuilder(AuthorizingBrokerFixture.Config<AdminClientConfig>(broker, "admin")).Build())
            {
                await admin.CreateAclsAsync([Allow(ResourceType.Topic, BrokerFixture.NewTopic("someone-elses"), "User:alice", AclOperation.Write)]);
            }

            using var bob = await LoginAsync(broker, "bob");
            var answered = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(bob, new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = -1 }, 4);
            Assert.Equal((short)ErrorCode.None, answered.ErrorCode);
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    private static async Task<InitProducerIdResponse> InitTransactionalAsync(RawKafkaConnection connection, string id)
    {
        var init = await SendAsync<InitProducerIdRequest, InitProducerIdResponse>(connection, new InitProducerIdRequest { TransactionalId = id, TransactionTimeoutMs = 60_000 }, 4);
        Assert.Equal((short)ErrorCode.None, init.ErrorCode);
        return init;
    }

    private static AddPartitionsToTxnRequest.AddPartitionsToTxnTopic Topic(string name) => new() { Name = name, Partitions = [0] };

    private static short PartitionError(List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult> results, string topic) =>
        Assert.Single(Assert.Single(results, r => r.Name == topic).ResultsByPartition).PartitionErrorCode;

    private Task<RawKafkaConnection> LoginAsync(string user) => LoginAsync(fixture.Broker, user);

    private static async Task<RawKafkaConnection> LoginAsync(KafkaBroker broker, string user)
    {
        var connection = await RawKafkaConnection.ConnectAsync(broker.ListenEndPoint, Ct);
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

    private async Task CreateAsync(params AclBinding[] bindings)
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        await admin.CreateAclsAsync(bindings);
    }

    private static AclBinding Allow(ResourceType type, string name, string principal, AclOperation operation) => Binding(type, name, principal, operation, AclPermissionType.Allow);

    private static AclBinding Deny(ResourceType type, string name, string principal, AclOperation operation) => Binding(type, name, principal, operation, AclPermissionType.Deny);

    private static AclBinding Binding(ResourceType type, string name, string principal, AclOperation operation, AclPermissionType permission) => new()
    {
        Pattern = new ResourcePattern { Type = type, Name = name, ResourcePatternType = ResourcePatternType.Literal },
        Entry = new AccessControlEntry { Principal = principal, Host = "*", Operation = operation, PermissionType = permission },
    };
}
