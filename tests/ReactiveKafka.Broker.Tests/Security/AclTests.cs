using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>A SASL broker with authorization on: User:admin is a super user, alice and bob have only what ACLs give them.</summary>
public sealed class AuthorizingBrokerFixture : IAsyncLifetime
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "rk-acl-" + Guid.NewGuid().ToString("N"));

    public KafkaBroker Broker { get; private set; } = null!;

    internal LogCapture Log { get; } = new();

    internal static BrokerOptions Options(string directory, LogCapture? log, bool allowEveryone = false) => new()
    {
        DataDirectory = directory,
        GroupInitialRebalanceDelay = TimeSpan.Zero,
        LoggerFactory = log,
        Listeners = [new BrokerListener("SASL", "127.0.0.1:0", BrokerSecurityProtocol.SaslPlaintext)],
        Sasl = new BrokerSaslOptions { Users = new Dictionary<string, string> { ["admin"] = "admin-pw", ["alice"] = "alice-pw", ["bob"] = "bob-pw" } },
        Authorization = new BrokerAuthorizationOptions { SuperUsers = ["User:admin"], AllowEveryoneIfNoAclFound = allowEveryone },
    };

    public async ValueTask InitializeAsync() => Broker = await KafkaBroker.StartAsync(Options(DataDirectory, Log));

    public T Config<T>(string user)
        where T : ClientConfig, new() => Config<T>(Broker, user);

    internal static T Config<T>(KafkaBroker broker, string user)
        where T : ClientConfig, new() => new()
        {
            BootstrapServers = broker.BootstrapServers,
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.ScramSha256,
            SaslUsername = user,
            SaslPassword = user + "-pw",
            SocketTimeoutMs = 10_000,
        };

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        BrokerFixture.DeleteDirectory(DataDirectory);
    }
}

/// <summary>
/// ACLs as Kafka enforces them, through Confluent.Kafka: CreateAcls / DescribeAcls / DeleteAcls round-trip with filters and
/// per-binding errors; a principal without ACLs is refused topics and groups with TOPIC/GROUP_AUTHORIZATION_FAILED; an ALLOW
/// (literal or prefixed) opens exactly what it names, a DENY wins; super users pass; ACLs survive a restart.
/// </summary>
public sealed class AclTests(AuthorizingBrokerFixture fixture) : IClassFixture<AuthorizingBrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AclAdmin_CreateDescribeDelete_RoundTripWithFilters()
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        var topic = BrokerFixture.NewTopic("acl-admin");
        var readAlice = Allow(ResourceType.Topic, topic, ResourcePatternType.Literal, "User:alice", AclOperation.Read);
        var writePrefix = Allow(ResourceType.Topic, topic[..8], ResourcePatternType.Prefixed, "User:bob", AclOperation.Write);
        await admin.CreateAclsAsync([readAlice, writePrefix]);

        var byPrincipal = await admin.DescribeAclsAsync(new AclBindingFilter
        {
            PatternFilter = new ResourcePatternFilter { Type = ResourceType.Any, ResourcePatternType = ResourcePatternType.Any },
            EntryFilter = new AccessControlEntryFilter { Principal = "User:alice", Operation = AclOperation.Any, PermissionType = AclPermissionType.Any },
        });
        Assert.Contains(byPrincipal.AclBindings, b => b.Pattern.Name == topic && b.Entry.Operation == AclOperation.Read);
        Assert.DoesNotContain(byPrincipal.AclBindings, b => b.Entry.Principal != "User:alice");

        // MATCH finds the literal and the prefixed pattern that apply to the topic's name.
        var matching = await admin.DescribeAclsAsync(new AclBindingFilter
        {
            PatternFilter = new ResourcePatternFilter { Type = ResourceType.Topic, Name = topic, ResourcePatternType = ResourcePatternType.Match },
            EntryFilter = new AccessControlEntryFilter { Operation = AclOperation.Any, PermissionType = AclPermissionType.Any },
        });
        Assert.Equal(2, matching.AclBindings.Count(b => b.Pattern.Name == topic || b.Pattern.Name == topic[..8]));

        var deleted = await admin.DeleteAclsAsync([new AclBindingFilter
        {
            PatternFilter = new ResourcePatternFilter { Type = ResourceType.Topic, Name = topic, ResourcePatternType = ResourcePatternType.Literal },
            EntryFilter = new AccessControlEntryFilter { Operation = AclOperation.Any, PermissionType = AclPermissionType.Any },
        }]);
        Assert.Equal(readAlice.Entry.Principal, Assert.Single(Assert.Single(deleted).AclBindings).Entry.Principal);
    }

    [Fact]
    public async Task InvalidBinding_GetsItsOwnError_TheOthersAreCreated()
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        var good = Allow(ResourceType.Group, BrokerFixture.NewGroup(), ResourcePatternType.Literal, "User:bob", AclOperation.Read);
        var badCluster = Allow(ResourceType.Broker, "not-kafka-cluster", ResourcePatternType.Literal, "User:bob", AclOperation.Alter);

        var error = await Assert.ThrowsAsync<CreateAclsException>(() => admin.CreateAclsAsync([good, badCluster]));

        Assert.Equal(ErrorCode.NoError, error.Results[0].Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, error.Results[1].Error.Code);
        Assert.Contains("kafka-cluster", error.Results[1].Error.Reason);
    }

    [Fact]
    public async Task NonSuperUser_CannotManageAcls()
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("bob")).Build();

        var error = await Assert.ThrowsAsync<CreateAclsException>(() => admin.CreateAclsAsync([Allow(ResourceType.Topic, "*", ResourcePatternType.Literal, "User:bob", AclOperation.All)]));

        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task TopicWithoutAcls_IsRefused_UntilAnAllowOpensIt_AndADenyWins()
    {
        var topic = BrokerFixture.NewTopic("orders");
        using (var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        }

        var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => ProduceAsync("alice", topic));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
        // librdkafka asks Metadata first, so the logged denial is its DESCRIBE (which WRITE would imply).
        Assert.Contains(fixture.Log.Lines, l => l.Contains("Principal = User:alice is Denied operation = ") && l.Contains($"from host = 127.0.0.1 on resource = Topic:{topic}"));

        await CreateAsync(Allow(ResourceType.Topic, topic[..10], ResourcePatternType.Prefixed, "User:alice", AclOperation.Write));
        Assert.Equal(0, (await ProduceAsync("alice", topic)).Offset.Value);
        var bob = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => ProduceAsync("bob", topic));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, bob.Error.Code);

        await CreateAsync(new AclBinding
        {
            Pattern = new ResourcePattern { Type = ResourceType.Topic, Name = topic, ResourcePatternType = ResourcePatternType.Literal },
            Entry = new AccessControlEntry { Principal = "User:alice", Host = "*", Operation = AclOperation.All, PermissionType = AclPermissionType.Deny },
        });
        var denied = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => ProduceAsync("alice", topic));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, denied.Error.Code);
        Assert.Equal(1, (await ProduceAsync("admin", topic)).Offset.Value);
    }

    [Fact]
    public async Task GroupWithoutAcl_IsRefused_WithReadOnTopicAndGroup_TheConsumerReads()
    {
        var topic = BrokerFixture.NewTopic("reads");
        var group = BrokerFixture.NewGroup();
        await ProduceAsync("admin", topic);
        await CreateAsync(Allow(ResourceType.Topic, topic, ResourcePatternType.Literal, "User:alice", AclOperation.Read));

        Assert.Equal(ErrorCode.GroupAuthorizationFailed, ConsumeError("alice", topic, group));

        await CreateAsync(Allow(ResourceType.Group, group, ResourcePatternType.Literal, "User:alice", AclOperation.Read));
        var config = fixture.Config<ConsumerConfig>("alice");
        config.GroupId = group;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        consumer.Subscribe(topic);
        var record = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.Equal("value", record?.Message.Value);
        consumer.Commit(record);
        consumer.Close();
    }

    [Fact]
    public async Task Acls_SurviveARestart_AndAllowEveryoneOpensResourcesWithoutAcls()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-acl-restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            var topic = BrokerFixture.NewTopic("kept");
            var open = BrokerFixture.NewTopic("open");
            await using (var broker = await KafkaBroker.StartAsync(AuthorizingBrokerFixture.Options(directory, null), Ct))
            {
                using var admin = new AdminClientBuilder(AuthorizingBrokerFixture.Config<AdminClientConfig>(broker, "admin")).Build();
                await admin.CreateAclsAsync([Allow(ResourceType.Topic, topic, ResourcePatternType.Literal, "User:bob", AclOperation.Write)]);
            }

            await using (var broker = await KafkaBroker.StartAsync(AuthorizingBrokerFixture.Options(directory, null, allowEveryone: true), Ct))
            {
                using var admin = new AdminClientBuilder(AuthorizingBrokerFixture.Config<AdminClientConfig>(broker, "admin")).Build();
                var kept = await admin.DescribeAclsAsync(new AclBindingFilter
                {
                    PatternFilter = new ResourcePatternFilter { Type = ResourceType.Any, ResourcePatternType = ResourcePatternType.Any },
                    EntryFilter = new AccessControlEntryFilter { Operation = AclOperation.Any, PermissionType = AclPermissionType.Any },
                });
                Assert.Equal(topic, Assert.Single(kept.AclBindings).Pattern.Name);

                // The topic with an ACL stays closed to alice; a topic no ACL names is open to her.
                using var producer = new ProducerBuilder<Null, string>(new ProducerConfig(AuthorizingBrokerFixture.Config<ClientConfig>(broker, "alice")) { MessageTimeoutMs = 10_000 }).Build();
                var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(topic, new Message<Null, string> { Value = "x" }, Ct));
                Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
                Assert.Equal(0, (await producer.ProduceAsync(open, new Message<Null, string> { Value = "x" }, Ct)).Offset.Value);
            }
        }
        finally
        {
            BrokerFixture.DeleteDirectory(directory);
        }
    }

    private ErrorCode ConsumeError(string user, string topic, string group)
    {
        var errors = new ConcurrentQueue<Error>();
        var config = fixture.Config<ConsumerConfig>(user);
        config.GroupId = group;
        using var consumer = new ConsumerBuilder<Ignore, string>(config).SetErrorHandler((_, e) => errors.Enqueue(e)).Build();
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException ex)
            {
                return ex.Error.Code;
            }

            if (errors.TryPeek(out var error))
            {
                return error.Code;
            }
        }

        return ErrorCode.NoError;
    }

    private async Task<DeliveryResult<Null, string>> ProduceAsync(string user, string topic)
    {
        var config = new ProducerConfig(fixture.Config<ClientConfig>(user)) { MessageTimeoutMs = 10_000 };
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        return await producer.ProduceAsync(topic, new Message<Null, string> { Value = "value" }, Ct);
    }

    private async Task CreateAsync(AclBinding binding)
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("admin")).Build();
        await admin.CreateAclsAsync([binding]);
    }

    private static AclBinding Allow(ResourceType type, string name, ResourcePatternType pattern, string principal, AclOperation operation) => new()
    {
        Pattern = new ResourcePattern { Type = type, Name = name, ResourcePatternType = pattern },
        Entry = new AccessControlEntry { Principal = principal, Host = "*", Operation = operation, PermissionType = AclPermissionType.Allow },
    };
}
