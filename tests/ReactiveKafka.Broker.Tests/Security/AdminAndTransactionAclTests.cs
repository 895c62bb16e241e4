using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// The authorizer on the admin and transaction APIs, as Kafka's KafkaApis checks them, through Confluent.Kafka: alice
/// may DESCRIBE her topic (so librdkafka's metadata lookups pass) and nothing more until an ACL gives her the operation
/// each API needs; without it the answer is Kafka's TOPIC/GROUP/CLUSTER/TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
/// </summary>
public sealed class AdminAndTransactionAclTests(AuthorizingBrokerFixture fixture) : IClassFixture<AuthorizingBrokerFixture>
{
    // Kafka's TRANSACTIONAL_ID resource type (5), which Confluent.Kafka's enum does not name but librdkafka sends.
    private const ResourceType TransactionalIdResource = (ResourceType)5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DescribeConfigs_NeedsDescribeConfigsOnTheTopic_AndOnTheClusterForTheBroker()
    {
        var topic = await NewDescribableTopicAsync("cfg-describe");
        using var alice = new AdminClientBuilder(fixture.Config<AdminClientConfig>("alice")).Build();
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };

        var refused = await Assert.ThrowsAsync<DescribeConfigsException>(() => alice.DescribeConfigsAsync([resource]));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, Assert.Single(refused.Results).Error.Code);
        var broker = await Assert.ThrowsAsync<DescribeConfigsException>(() => alice.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "1" }]));
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, Assert.Single(broker.Results).Error.Code);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.DescribeConfigs));
        var described = Assert.Single(await alice.DescribeConfigsAsync([resource]));
        Assert.Contains("retention.ms", described.Entries.Keys);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_NeedsAlterConfigsOnTheTopic()
    {
        var topic = await NewDescribableTopicAsync("cfg-alter");
        using var alice = new AdminClientBuilder(fixture.Config<AdminClientConfig>("alice")).Build();
        var change = new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [new ConfigResource { Type = ResourceType.Topic, Name = topic }] = [new ConfigEntry { Name = "retention.ms", Value = "123456", IncrementalOperation = AlterConfigOpType.Set }],
        };

        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => alice.IncrementalAlterConfigsAsync(change));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, Assert.Single(refused.Results).Error.Code);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.AlterConfigs));
        await alice.IncrementalAlterConfigsAsync(change);
        var described = Assert.Single(await alice.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }]));
        Assert.Equal("123456", described.Entries["retention.ms"].Value);
    }

    [Fact]
    public async Task CreatePartitions_NeedsAlterOnTheTopic()
    {
        var topic = await NewDescribableTopicAsync("partitions");
        using var alice = new AdminClientBuilder(fixture.Config<AdminClientConfig>("alice")).Build();

        var refused = await Assert.ThrowsAsync<CreatePartitionsException>(() => alice.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 2 }]));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, Assert.Single(refused.Results).Error.Code);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Alter));
        await alice.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 2 }]);
        Assert.Equal(2, fixture.Broker.Topics.GetTopic(topic)!.PartitionCount);
    }

    [Fact]
    public async Task DeleteRecords_NeedsDeleteOnTheTopic()
    {
        var topic = await NewDescribableTopicAsync("delete-records");
        using (var producer = new ProducerBuilder<Null, string>(fixture.Config<ProducerConfig>("admin")).Build())
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "a" }, Ct);
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "b" }, Ct);
        }

        using var alice = new AdminClientBuilder(fixture.Config<AdminClientConfig>("alice")).Build();
        TopicPartitionOffset[] before = [new(topic, 0, 1)];

        var refused = await Assert.ThrowsAsync<DeleteRecordsException>(() => alice.DeleteRecordsAsync(before));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, Assert.Single(refused.Results).Error.Code);

        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Delete));
        Assert.Equal(1, Assert.Single(await alice.DeleteRecordsAsync(before)).Offset.Value);
    }

    [Fact]
    public async Task DeleteGroups_NeedsDeleteOnTheGroup()
    {
        var group = BrokerFixture.NewGroup();
        using var alice = new AdminClientBuilder(fixture.Config<AdminClientConfig>("alice")).Build();
        await CreateAsync(Allow(ResourceType.Group, group, "User:alice", AclOperation.Describe));

        var refused = await Assert.ThrowsAsync<DeleteGroupsException>(() => alice.DeleteGroupsAsync([group]));
        Assert.Equal(ErrorCode.GroupAuthorizationFailed, Assert.Single(refused.Results).Error.Code);

        // Allowed, the request reaches the group coordinator, which does not know the group.
        await CreateAsync(Allow(ResourceType.Group, group, "User:alice", AclOperation.Delete));
        var unknown = await Assert.ThrowsAsync<DeleteGroupsException>(() => alice.DeleteGroupsAsync([group]));
        Assert.Equal(ErrorCode.GroupIdNotFound, Assert.Single(unknown.Results).Error.Code);
    }

    [Fact]
    public async Task TransactionalProducer_NeedsWriteOnItsTransactionalId_ThenCommits()
    {
        var topic = await NewDescribableTopicAsync("txn");
        var transactionalId = "txn-" + Guid.NewGuid().ToString("N");
        await CreateAsync(Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Write));
        // DESCRIBE lets FindCoordinator through, so the refusal below is InitProducerId's.
        await CreateAsync(Allow(TransactionalIdResource, transactionalId, "User:alice", AclOperation.Describe));
        var config = new ProducerConfig(fixture.Config<ClientConfig>("alice")) { TransactionalId = transactionalId, TransactionTimeoutMs = 10_000 };

        using (var refusedProducer = new ProducerBuilder<Null, string>(config).Build())
        {
            var refused = Assert.ThrowsAny<KafkaException>(() => refusedProducer.InitTransactions(TimeSpan.FromSeconds(20)));
            Assert.Equal(ErrorCode.TransactionalIdAuthorizationFailed, refused.Error.Code);
        }

        await CreateAsync(Allow(TransactionalIdResource, transactionalId, "User:alice", AclOperation.Write));
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(20));
        producer.BeginTransaction();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "in-txn" }, Ct);
        producer.CommitTransaction(TimeSpan.FromSeconds(20));

        // EndTxn answers once the decision is durable; the COMMIT marker follows in the background.
        await Transactions.BrokerWait.UntilAsync(() => fixture.Broker.Topics.GetPartition(topic, 0)!.HighWatermark >= 2, "the COMMIT marker is written");
        Assert.Equal(2, fixture.Broker.Topics.GetPartition(topic, 0)!.HighWatermark); // the record and the commit marker
    }

    private async Task<string> NewDescribableTopicAsync(string prefix)
    {
        var topic = BrokerFixture.NewTopic(prefix);
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        await admin.CreateAclsAsync([Allow(ResourceType.Topic, topic, "User:alice", AclOperation.Describe)]);
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
