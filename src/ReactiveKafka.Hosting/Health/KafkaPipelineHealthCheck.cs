using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ReactiveKafka.Hosting.Health;

/// <summary>
/// A hosted pipeline's health: unhealthy when it failed (also while it waits to restart) or is not running; degraded
/// while its receiver has been paused for backpressure longer than <see cref="KafkaPipelineOptions.DegradedAfterBackpressure"/>,
/// or when its lag grew at every sample over <see cref="KafkaPipelineOptions.LagGrowthWindow"/>; healthy otherwise.
/// The data carries the state, the restarts and the receiver's counts.
/// </summary>
internal sealed class KafkaPipelineHealthCheck(IKafkaPipeline pipeline, KafkaPipelineOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var statistics = pipeline.Statistics;
        var data = new Dictionary<string, object>
        {
            ["state"] = pipeline.State.ToString(),
            ["restarts"] = pipeline.Restarts,
            ["processed"] = pipeline.Processed,
            ["assignedPartitions"] = statistics.AssignedPartitions,
            ["pausedPartitions"] = statistics.PausedPartitions,
            ["unacknowledged"] = statistics.Unacknowledged,
            ["lag"] = statistics.Lag,
        };
        var name = pipeline.Name;
        var result = pipeline.State switch
        {
            KafkaPipelineState.Failed => HealthCheckResult.Unhealthy($"Kafka pipeline {name} failed: {pipeline.LastError?.Message}", pipeline.LastError, data),
            KafkaPipelineState.Restarting => HealthCheckResult.Unhealthy($"Kafka pipeline {name} failed and is waiting to restart: {pipeline.LastError?.Message}", pipeline.LastError, data),
            KafkaPipelineState.NotStarted or KafkaPipelineState.Draining or KafkaPipelineState.Stopped =>
                HealthCheckResult.Unhealthy($"Kafka pipeline {name} is not running ({pipeline.State}).", data: data),
            _ when statistics.BackpressurePause > options.DegradedAfterBackpressure =>
                HealthCheckResult.Degraded($"Kafka pipeline {name} has been paused for backpressure for {statistics.BackpressurePause.TotalSeconds:0} s: processing does not keep up.", data: data),
            _ when pipeline.LagGrowing =>
                HealthCheckResult.Degraded($"Kafka pipeline {name}'s lag ({statistics.Lag}) kept growing over {options.LagGrowthWindow.TotalSeconds:0} s.", data: data),
            _ => HealthCheckResult.Healthy($"Kafka pipeline {name} is running.", data),
        };
        return Task.FromResult(result);
    }
}
