using System.Collections.Concurrent;
using Confluent.Kafka;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// Confluent.Kafka over each listener kind of one broker: the right login works (produce, consume, and Metadata naming
/// the address of the listener the client came in on), a wrong one is refused with Kafka's error, and a client whose
/// security protocol does not match the listener's gets nowhere.
/// </summary>
public sealed class ListenerSecurityTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("PLAINTEXT", null)]
    [InlineData("SSL", null)]
    [InlineData("SASL_PLAINTEXT", "PLAIN")]
    [InlineData("SASL_PLAINTEXT", "SCRAM-SHA-256")]
    [InlineData("SASL_PLAINTEXT", "SCRAM-SHA-512")]
    [InlineData("SASL_PLAINTEXT", "OAUTHBEARER")]
    [InlineData("SASL_SSL", "PLAIN")]
    [InlineData("SASL_SSL", "SCRAM-SHA-256")]
    [InlineData("SASL_SSL", "SCRAM-SHA-512")]
    [InlineData("SASL_SSL", "OAUTHBEARER")]
    public async Task RightLogin_ProducesConsumesAndIsToldItsOwnListenersAddress(string listener, string? mechanism)
    {
        var topic = BrokerFixture.NewTopic("sec");
        using (var producer = new ProducerBuilder<string, string>(fixture.Config<ProducerConfig>(listener, mechanism)).Build())
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"{listener}-{i}" }, Ct);
            }
        }

        var consumerConfig = fixture.Config<ConsumerConfig>(listener, mechanism);
        consumerConfig.GroupId = BrokerFixture.NewGroup();
        consumerConfig.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build();
        consumer.Subscribe(topic);
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (values.Count < 3 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                values.Add(result.Message.Value);
            }
        }

        Assert.Equal([$"{listener}-0", $"{listener}-1", $"{listener}-2"], values);
        consumer.Close();

        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>(listener, mechanism)).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var broker = Assert.Single(metadata.Brokers);
        Assert.Equal(fixture.Listener(listener).BoundEndPoint.Port, broker.Port);
    }

    [Theory]
    [InlineData("SASL_PLAINTEXT", "PLAIN", "Authentication failed: Invalid username or password")]
    [InlineData("SASL_SSL", "PLAIN", "Authentication failed: Invalid username or password")]
    [InlineData("SASL_PLAINTEXT", "SCRAM-SHA-256", "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")]
    [InlineData("SASL_SSL", "SCRAM-SHA-512", "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")]
    public void WrongPassword_IsRefusedWithKafkasAuthenticationError(string listener, string mechanism, string expected)
    {
        var error = FirstError(fixture.Config<AdminClientConfig>(listener, mechanism, password: "not-the-password"));

        Assert.Equal(ErrorCode.Local_Authentication, error.Code);
        Assert.Contains(expected, error.Reason);
        Assert.True(WaitFor(() => fixture.Log.Contains("Failed authentication with 127.0.0.1")), "the failed login is logged");
    }

    [Fact]
    public void UnknownUser_IsRefusedLikeAWrongPassword()
    {
        var error = FirstError(fixture.Config<AdminClientConfig>("SASL_PLAINTEXT", "SCRAM-SHA-256", user: "mallory", password: "x"));

        Assert.Equal(ErrorCode.Local_Authentication, error.Code);
        Assert.Contains("invalid credentials with SASL mechanism SCRAM-SHA-256", error.Reason);
    }

    [Fact]
    public void PlaintextClient_OnTheTlsListener_GetsNoMetadata()
    {
        var config = new AdminClientConfig { BootstrapServers = fixture.Listener("SSL").AdvertisedAddress, SocketTimeoutMs = 5000 };
        using var admin = new AdminClientBuilder(config).SetErrorHandler((_, _) => { }).Build();

        Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(3)));
        Assert.True(WaitFor(() => fixture.Log.Contains("the TLS handshake failed")), "the broker logs the failed handshake");
    }

    [Fact]
    public void TlsClient_NotTrustingTheBrokersCa_IsRefusedByTheClient()
    {
        var config = fixture.Config<AdminClientConfig>("SSL");
        using var other = Testing.KafkaTestCertificates.Create();
        config.SslCaPem = other.AuthorityPem;
        var error = FirstError(config);

        Assert.Contains("certificate verify failed", error.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AclApis_WithoutAnAuthorizer_AnswerSecurityDisabled()
    {
        using var admin = new AdminClientBuilder(fixture.Config<AdminClientConfig>("PLAINTEXT")).Build();
        var binding = new Confluent.Kafka.Admin.AclBinding
        {
            Pattern = new Confluent.Kafka.Admin.ResourcePattern { Type = Confluent.Kafka.Admin.ResourceType.Topic, Name = "t", ResourcePatternType = Confluent.Kafka.Admin.ResourcePatternType.Literal },
            Entry = new Confluent.Kafka.Admin.AccessControlEntry { Principal = "User:bob", Host = "*", Operation = Confluent.Kafka.Admin.AclOperation.Read, PermissionType = Confluent.Kafka.Admin.AclPermissionType.Allow },
        };

        var error = await Assert.ThrowsAsync<Confluent.Kafka.Admin.CreateAclsException>(() => admin.CreateAclsAsync([binding]));

        Assert.Equal(ErrorCode.SecurityDisabled, Assert.Single(error.Results).Error.Code);
        Assert.Contains("No Authorizer is configured on the broker", error.Results[0].Error.Reason);
    }

    private static Error FirstError(ClientConfig config)
    {
        var errors = new ConcurrentQueue<Error>();
        using var admin = new AdminClientBuilder(config).SetErrorHandler((_, e) => errors.Enqueue(e)).Build();
        try
        {
            admin.GetMetadata(TimeSpan.FromSeconds(5));
        }
        catch (KafkaException)
        {
            // Expected: no metadata without a login; the reason arrives through the error handler.
        }

        Assert.True(WaitFor(() => !errors.IsEmpty), "the client reports an error");
        return errors.First();
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }
}
