using Confluent.Kafka;
using Confluent.Kafka.Admin;
using HostedPipeline;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ReactiveKafka;
using ReactiveKafka.Broker;

// A worker service with two hosted pipelines, configured from appsettings.json:
//   orders    -> ShipOrder (4 at a time)  -> sends a record to "shipments"
//   shipments -> AuditShipment            -> counts it; once every order is audited the health report is printed and
//                                            the host stops (draining both pipelines, committing, leaving the groups).
// Logs go through the host's ILoggerFactory (librdkafka's too); traces and metrics go to OpenTelemetry's console
// exporter: each order's trace runs generate -> send orders -> process orders -> send shipments -> process shipments.
// Kafka:BootstrapServers empty (the default) starts the bundled broker in-process.
// appsettings.json is read from beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var kafka = builder.Configuration.GetSection("Kafka");

var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-hosted-" + Guid.NewGuid().ToString("N")[..8]);
await using var broker = string.IsNullOrEmpty(kafka["BootstrapServers"])
    ? await KafkaBroker.StartAsync(new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0" })
    : null;
var bootstrapServers = broker?.BootstrapServers ?? kafka["BootstrapServers"]!;
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Kafka:Senders:default:Producer:bootstrap.servers"] = bootstrapServers,
    ["Kafka:Receivers:orders:Consumer:bootstrap.servers"] = bootstrapServers,
    ["Kafka:Receivers:shipments:Consumer:bootstrap.servers"] = bootstrapServers,
});
await CreateTopicsAsync(bootstrapServers, "orders", "shipments");

builder.Services
    .AddKafkaSender<string, string>("default", kafka.GetSection("Senders:default"))
    .AddKafkaReceiver<string, string>("orders", kafka.GetSection("Receivers:orders"))
    .AddKafkaReceiver<string, string>("shipments", kafka.GetSection("Receivers:shipments"))
    .AddKafkaPipeline<string, string, ShipOrder>("orders", options => kafka.GetSection("Pipelines:orders").Bind(options))
    .AddKafkaPipeline<string, string, AuditShipment>("audit", options => kafka.GetSection("Pipelines:audit").Bind(options))
    .AddSingleton<Progress>()
    .AddHostedService<OrderGenerator>()
    .AddHostedService<StopWhenDone>();

if (builder.Configuration.GetValue("Example:ExportTelemetry", true))
{
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(resource => resource.AddService("hosted-pipeline-example"))
        .WithTracing(tracing => tracing
            .AddSource(KafkaDiagnostics.ActivitySourceName, OrderGenerator.Source.Name)
            .AddConsoleExporter())
        .WithMetrics(metrics => metrics
            .AddMeter(KafkaDiagnostics.MeterName)
            .AddConsoleExporter());
}

using (var host = builder.Build())
{
    await host.RunAsync();
}

if (Directory.Exists(dataDirectory))
{
    await broker!.DisposeAsync();
    Directory.Delete(dataDirectory, recursive: true);
}

static async Task CreateTopicsAsync(string bootstrapServers, params string[] topics)
{
    using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
    try
    {
        await admin.CreateTopicsAsync(topics.Select(t => new TopicSpecification { Name = t, NumPartitions = 3, ReplicationFactor = 1 }));
    }
    catch (CreateTopicsException error) when (error.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
    {
        // Created by an earlier run.
    }
}
