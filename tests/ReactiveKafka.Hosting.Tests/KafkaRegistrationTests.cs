using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace ReactiveKafka.Hosting.Tests;

/// <summary>Senders and receivers bound from configuration: validated at start with the key in the error, resolvable by name.</summary>
public sealed class KafkaRegistrationTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static async Task<Exception> StartFailsAsync(Dictionary<string, string?> configuration)
    {
        using var host = HostingKit.BuildHost(configuration, (config, services) =>
        {
            services.AddKafkaReceiver<string, string>("billing", config.GetSection("Kafka:Receivers:billing"));
            services.AddKafkaSender<string, string>("out", config.GetSection("Kafka:Senders:out"));
        });
        return await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
    }

    private static Dictionary<string, string?> Valid() => new(HostingKit.Receiver("billing", "127.0.0.1:1", "orders", "billing"))
    {
        ["Kafka:Senders:out:Producer:bootstrap.servers"] = "127.0.0.1:1",
    };

    [Fact]
    public async Task Start_ReceiverValueOutOfRange_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:MaxUnacknowledged"] = "0";

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains("Kafka:Receivers:billing:MaxUnacknowledged: ReceiverOptions.MaxUnacknowledged must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxDelayRebalance", "-00:00:01", "ReceiverOptions.MaxDelayRebalance must be from zero to int.MaxValue milliseconds")]
    [InlineData("MaxDelayRebalance", "30.00:00:00", "ReceiverOptions.MaxDelayRebalance must be from zero to int.MaxValue milliseconds")]
    [InlineData("AtMostOnceCommitAheadSize", "-1", "ReceiverOptions.AtMostOnceCommitAheadSize")]
    public async Task Start_ReceiverRebalanceSettingOutOfRange_FailsNamingTheKey(string key, string value, string message)
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:" + key] = value;

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains($"Kafka:Receivers:billing:{key}: {message}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MaxDelayRebalanceNotADuration_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:MaxDelayRebalance"] = "5s";

        var error = await StartFailsAsync(configuration);

        Assert.Contains("Kafka:Receivers:billing:MaxDelayRebalance", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SenderTransactionOperationTimeoutZero_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Senders:out:TransactionOperationTimeout"] = "00:00:00";

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains("Kafka:Senders:out:TransactionOperationTimeout: SenderOptions.TransactionOperationTimeout must be from 1 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_RebalanceAndTransactionSettingsFromConfiguration_ReachTheOptions()
    {
        var configuration = HostingKit.Receiver("billing", broker.BootstrapServers, "orders", HostingKit.NewGroup(),
            ("MaxDelayRebalance", "00:00:05"), ("AtMostOnceCommitAheadSize", "10"));
        configuration["Kafka:Senders:out:Producer:bootstrap.servers"] = broker.BootstrapServers;
        configuration["Kafka:Senders:out:TransactionOperationTimeout"] = "00:00:07";
        using var host = HostingKit.BuildHost(configuration, (config, services) =>
        {
            services.AddKafkaReceiver<string, string>("billing", config.GetSection("Kafka:Receivers:billing"));
            services.AddKafkaSender<string, string>("out", config.GetSection("Kafka:Senders:out"));
        });

        var receiver = host.Services.GetRequiredKeyedService<KafkaReceiver<string, string>>("billing");
        var sender = host.Services.GetRequiredKeyedService<KafkaSender<string, string>>("out");

        Assert.Equal(TimeSpan.FromSeconds(5), receiver.Options.MaxDelayRebalance);
        Assert.Equal(10, receiver.Options.AtMostOnceCommitAheadSize);
        Assert.Equal(TimeSpan.FromSeconds(7), sender.Options.TransactionOperationTimeout);
    }

    [Fact]
    public async Task Start_ReceiverValueNotANumber_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:BufferSize"] = "lots";

        var error = await StartFailsAsync(configuration);

        Assert.Contains("Kafka:Receivers:billing:BufferSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ReceiverWithoutGroupId_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration.Remove("Kafka:Receivers:billing:Consumer:group.id");

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains("Kafka:Receivers:billing:Consumer:group.id: 'group.id' is required.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ReceiverOwnedPropertyTrue_FailsNamingTheConsumerSection()
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:Consumer:enable.auto.commit"] = "true";

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains("Kafka:Receivers:billing:Consumer: ReceiverOptions.ConsumerProperties 'enable.auto.commit=true'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SenderMaxInFlightZero_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Senders:out:MaxInFlight"] = "0";

        var error = Assert.IsType<OptionsValidationException>(await StartFailsAsync(configuration));

        Assert.Contains("Kafka:Senders:out:MaxInFlight: SenderOptions.MaxInFlight must be from 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MisspelledSetting_FailsNamingTheKey()
    {
        var configuration = Valid();
        configuration["Kafka:Receivers:billing:MaxUnacknowleged"] = "10";

        var error = await StartFailsAsync(configuration);

        Assert.Contains("Kafka:Receivers:billing:MaxUnacknowleged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_NamedSenderAndReceiver_SendAndReceiveThroughBroker()
    {
        var topic = await broker.CreateTopicAsync();
        var configuration = HostingKit.Receiver("billing", broker.BootstrapServers, topic, HostingKit.NewGroup(), ("MaxUnacknowledged", "100"));
        configuration["Kafka:Senders:out:Producer:bootstrap.servers"] = broker.BootstrapServers;
        configuration["Kafka:Senders:out:MaxInFlight"] = "64";
        using var host = HostingKit.BuildHost(configuration, (config, services) =>
        {
            services.AddKafkaReceiver<string, string>("billing", config.GetSection("Kafka:Receivers:billing"));
            services.AddKafkaSender<string, string>("out", config.GetSection("Kafka:Senders:out"));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);

        var sender = host.Services.GetRequiredKeyedService<KafkaSender<string, string>>("out");
        var receiver = host.Services.GetRequiredKeyedService<KafkaReceiver<string, string>>("billing");
        Assert.Equal(64, sender.Options.MaxInFlight);
        Assert.Equal(100, receiver.Options.MaxUnacknowledged);
        Assert.Equal([topic], receiver.Options.Topics);
        await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "hello", 0), TestContext.Current.CancellationToken);
        await foreach (var record in receiver.ReceiveAsync(TestContext.Current.CancellationToken))
        {
            Assert.Equal("hello", record.Value);
            break;
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
