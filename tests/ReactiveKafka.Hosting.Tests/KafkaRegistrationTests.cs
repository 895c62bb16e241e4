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
