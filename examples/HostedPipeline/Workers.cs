using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReactiveKafka;

namespace HostedPipeline;

/// <summary>How many orders to send, and how many shipments were audited.</summary>
public sealed class Progress(IConfiguration configuration)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _audited;

    public int Orders { get; } = configuration.GetValue("Example:Orders", 6);

    public Task Done => _done.Task;

    public void Audited()
    {
        if (Interlocked.Increment(ref _audited) >= Orders)
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>Sends the orders, each in its own trace (a root span of the example's own source).</summary>
public sealed class OrderGenerator([FromKeyedServices("default")] KafkaSender<string, string> sender, Progress progress, ILogger<OrderGenerator> logger)
    : BackgroundService
{
    public static readonly ActivitySource Source = new("HostedPipeline.Example");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var i = 1; i <= progress.Orders; i++)
        {
            using var activity = Source.StartActivity("generate order");
            var result = await sender.SendAsync(new SenderRecord<string, string, int>("orders", $"customer-{i % 3}", $"order {i}", i), stoppingToken);
            logger.LogInformation("Ordered {Order} -> {At}", i, result.TopicPartitionOffset);
        }
    }
}

/// <summary>Once every order is audited (or after a minute): prints the health report, then stops the host.</summary>
public sealed class StopWhenDone(Progress progress, HealthCheckService health, IHostApplicationLifetime lifetime, ILogger<StopWhenDone> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = await Task.WhenAny(progress.Done, Task.Delay(TimeSpan.FromMinutes(1), stoppingToken)) == progress.Done;
        var report = await health.CheckHealthAsync(stoppingToken);
        foreach (var (name, entry) in report.Entries)
        {
            logger.LogInformation("Health {Check}: {Status} - {Description}", name, entry.Status, entry.Description);
        }

        if (!done || report.Status != HealthStatus.Healthy)
        {
            logger.LogError("Not every order was audited in time, or a pipeline is not healthy ({Status})", report.Status);
            Environment.ExitCode = 1;
        }

        lifetime.StopApplication();
    }
}
