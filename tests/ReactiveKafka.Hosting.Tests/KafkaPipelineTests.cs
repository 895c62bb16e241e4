using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ReactiveKafka.Hosting.Tests;

/// <summary>Hosted pipelines over the bundled broker: processing, graceful stop, failure and restart, health.</summary>
public sealed class KafkaPipelineTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private IHost Host(string topic, string group, Func<ReceiverRecord<string, string>, CancellationToken, ValueTask> handle, Action<KafkaPipelineOptions>? configure = null, params (string, string)[] more) =>
        HostingKit.BuildHost(HostingKit.Receiver("orders", broker.BootstrapServers, topic, group, more), (config, services) =>
        {
            services.AddKafkaReceiver<string, string>("orders", config.GetSection("Kafka:Receivers:orders"));
            services.AddKafkaPipeline("orders", handle, configure);
        });

    private static int Number(ReceiverRecord<string, string> record) => int.Parse(record.Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Run_ProcessesEveryRecord_AndCommitsThemOnStop()
    {
        var topic = await broker.CreateTopicAsync();
        var group = HostingKit.NewGroup();
        HostingKit.Produce(broker.BootstrapServers, topic, 50);
        var processed = new ConcurrentQueue<int>();
        using var host = Host(topic, group, (record, _) =>
        {
            processed.Enqueue(Number(record));
            return ValueTask.CompletedTask;
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var pipeline = host.Services.GetRequiredKeyedService<IKafkaPipeline>("orders");
        await HostingKit.WaitUntilAsync(() => processed.Count == 50, "50 records processed");
        Assert.Equal(KafkaPipelineState.Running, pipeline.State);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(KafkaPipelineState.Stopped, pipeline.State);
        Assert.Equal(Enumerable.Range(0, 50), processed);
        Assert.Equal(50, pipeline.Processed);
        Assert.Equal(50, HostingKit.Committed(broker.BootstrapServers, group, topic));
    }

    [Fact]
    public async Task Stop_WithRecordsInFlight_FinishesThemAndNextRunGetsTheRest_NoneLostNoneTwice()
    {
        var topic = await broker.CreateTopicAsync();
        var group = HostingKit.NewGroup();
        HostingKit.Produce(broker.BootstrapServers, topic, 200);
        var first = new ConcurrentQueue<int>();
        var started = 0;
        var inFlightAtStop = 0;
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var host = Host(topic, group, async (record, _) =>
        {
            Interlocked.Increment(ref started);
            await Task.Delay(50, CancellationToken.None); // slow work, not canceled by a graceful stop
            first.Enqueue(Number(record));
        }, o => o.MaxConcurrency = 4))
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            await HostingKit.WaitUntilAsync(() => first.Count >= 20, "20 records processed");
            inFlightAtStop = Volatile.Read(ref started) - first.Count;
            await host.StopAsync(TestContext.Current.CancellationToken);
            stopping.TrySetResult();
        }

        // Every record started was finished; all of them and nothing else were committed.
        Assert.True(inFlightAtStop > 0, "records were in flight when the stop began");
        Assert.Equal(Volatile.Read(ref started), first.Count);
        var committed = HostingKit.Committed(broker.BootstrapServers, group, topic);
        Assert.Equal(first.Count, committed);
        Assert.Equal(Enumerable.Range(0, first.Count), first.Order());

        // The next run starts right after them and gets the rest: every record exactly once over both runs.
        var second = new ConcurrentQueue<int>();
        using (var host = Host(topic, group, (record, _) =>
        {
            second.Enqueue(Number(record));
            return ValueTask.CompletedTask;
        }))
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            await HostingKit.WaitUntilAsync(() => first.Count + second.Count >= 200, "the rest processed");
            await host.StopAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal(Enumerable.Range(0, 200), first.Concat(second).Order());
        Assert.Equal(200, HostingKit.Committed(broker.BootstrapServers, group, topic));
    }

    [Fact]
    public async Task HandlerFails_RestartsAfterBackoff_FailedRecordProcessedAgain()
    {
        var topic = await broker.CreateTopicAsync();
        var group = HostingKit.NewGroup();
        HostingKit.Produce(broker.BootstrapServers, topic, 10);
        var succeeded = new ConcurrentQueue<int>();
        var attemptsOfFive = 0;
        using var host = Host(topic, group, (record, _) =>
        {
            if (Number(record) == 5 && Interlocked.Increment(ref attemptsOfFive) == 1)
            {
                throw new InvalidOperationException("record 5 fails once");
            }

            succeeded.Enqueue(Number(record));
            return ValueTask.CompletedTask;
        }, o =>
        {
            o.RestartOnFailure = true;
            o.RestartDelay = TimeSpan.FromMilliseconds(300);
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var pipeline = host.Services.GetRequiredKeyedService<IKafkaPipeline>("orders");
        await HostingKit.WaitUntilAsync(() => succeeded.Count == 10, "all 10 records processed");
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, pipeline.Restarts);
        Assert.Equal(2, attemptsOfFive);
        Assert.Equal("record 5 fails once", pipeline.LastError?.Message);
        Assert.Equal(Enumerable.Range(0, 10), succeeded); // in order, each once: 0-4 were committed before the restart
        Assert.Equal(10, HostingKit.Committed(broker.BootstrapServers, group, topic));
    }

    [Fact]
    public async Task Health_FailedPipelineWithoutRestart_Unhealthy()
    {
        var topic = await broker.CreateTopicAsync();
        HostingKit.Produce(broker.BootstrapServers, topic, 3);
        using var host = Host(topic, HostingKit.NewGroup(), (_, _) => throw new InvalidOperationException("broken handler"));

        await host.StartAsync(TestContext.Current.CancellationToken);
        var pipeline = host.Services.GetRequiredKeyedService<IKafkaPipeline>("orders");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Status);
        await HostingKit.WaitUntilAsync(() => pipeline.State == KafkaPipelineState.Failed, "the pipeline failed");

        var report = await health.CheckHealthAsync(TestContext.Current.CancellationToken);
        var entry = report.Entries["kafka-pipeline-orders"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("broken handler", entry.Description, StringComparison.Ordinal);
        Assert.Contains("kafka", entry.Tags);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Health_PausedForBackpressureBeyondThreshold_DegradedThenHealthyOnceReleased()
    {
        var topic = await broker.CreateTopicAsync();
        HostingKit.Produce(broker.BootstrapServers, topic, 50);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = Host(topic, HostingKit.NewGroup(), async (_, ct) => await release.Task.WaitAsync(ct),
            o => o.DegradedAfterBackpressure = TimeSpan.FromMilliseconds(200), ("BufferSize", "5"));

        await host.StartAsync(TestContext.Current.CancellationToken);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        HealthReport? report = null;
        await HostingKit.WaitUntilAsync(() =>
        {
            report = health.CheckHealthAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
            return report.Status == HealthStatus.Degraded;
        }, "degraded while paused for backpressure");
        Assert.Contains("backpressure", report!.Entries["kafka-pipeline-orders"].Description, StringComparison.Ordinal);
        Assert.Equal(1, report.Entries["kafka-pipeline-orders"].Data["pausedPartitions"]);

        release.TrySetResult();
        await HostingKit.WaitUntilAsync(() =>
            health.CheckHealthAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult().Status == HealthStatus.Healthy, "healthy once processing catches up");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Health_ProcessingSlowerThanProduction_DegradedByGrowingLagThenHealthyOnceCaughtUp()
    {
        var topic = await broker.CreateTopicAsync();
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var processed = 0;

        // Each record waits for a tick of a 20-per-second clock while "slow" holds: a handler doing 20 records a second
        // against a producer doing about 100. Once released, it keeps up. Backpressure alone must not be the reason.
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        using var host = Host(topic, HostingKit.NewGroup(), async (_, ct) =>
        {
            if (!slow.Task.IsCompleted)
            {
                await Task.WhenAny(slow.Task, ticks.WaitForNextTickAsync(ct).AsTask());
            }

            Interlocked.Increment(ref processed);
        }, o =>
        {
            o.LagGrowthWindow = TimeSpan.FromSeconds(3);
            o.DegradedAfterBackpressure = TimeSpan.FromHours(1);
        }, ("BufferSize", "20"));

        await host.StartAsync(TestContext.Current.CancellationToken);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        HealthReport Check() => health.CheckHealthAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();

        using var producing = new CancellationTokenSource();
        var produced = 0;
        var producer = Task.Run(async () =>
        {
            using var kafka = new Confluent.Kafka.ProducerBuilder<string, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 0 }).Build();
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                while (await pace.WaitForNextTickAsync(producing.Token))
                {
                    for (var i = 0; i < 5; i++, produced++)
                    {
                        kafka.Produce(topic, new Confluent.Kafka.Message<string, string> { Key = "k", Value = produced.ToString(CultureInfo.InvariantCulture) });
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            kafka.Flush(TimeSpan.FromSeconds(30));
        }, TestContext.Current.CancellationToken);

        HealthReport? report = null;
        await HostingKit.WaitUntilAsync(() => (report = Check()).Status == HealthStatus.Degraded, "degraded while the lag grows", TimeSpan.FromSeconds(60));
        var entry = report!.Entries["kafka-pipeline-orders"];
        Assert.Contains("kept growing", entry.Description, StringComparison.Ordinal);
        Assert.True((long)entry.Data["lag"] > 0, $"lag {entry.Data["lag"]}");

        await producing.CancelAsync();
        await producer;
        slow.TrySetResult();
        await HostingKit.WaitUntilAsync(() => Volatile.Read(ref processed) >= produced, $"all {produced} records processed", TimeSpan.FromSeconds(60));
        await HostingKit.WaitUntilAsync(
            () => (report = Check()).Status == HealthStatus.Healthy && (long)report.Entries["kafka-pipeline-orders"].Data["lag"] == 0,
            "healthy with no lag once caught up", TimeSpan.FromSeconds(30));
        Assert.Contains("is running", report!.Entries["kafka-pipeline-orders"].Description, StringComparison.Ordinal);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Stop_HandlerOutlastsShutdownTimeout_AbortedRecordLeftUncommitted()
    {
        var topic = await broker.CreateTopicAsync();
        var group = HostingKit.NewGroup();
        HostingKit.Produce(broker.BootstrapServers, topic, 3);
        var done = new ConcurrentQueue<int>();
        using var host = HostingKit.BuildHost(HostingKit.Receiver("orders", broker.BootstrapServers, topic, group), (config, services) =>
        {
            services.AddKafkaReceiver<string, string>("orders", config.GetSection("Kafka:Receivers:orders"));
            services.AddKafkaPipeline<string, string>("orders", async (record, ct) =>
            {
                if (Number(record) == 1)
                {
                    await Task.Delay(Timeout.Infinite, ct); // never finishes on its own
                }

                done.Enqueue(Number(record));
            });
        }, shutdownTimeout: TimeSpan.FromSeconds(1));

        await host.StartAsync(TestContext.Current.CancellationToken);
        await HostingKit.WaitUntilAsync(() => done.Count == 1, "record 0 processed");
        await host.StopAsync(CancellationToken.None);

        var pipeline = host.Services.GetRequiredKeyedService<IKafkaPipeline>("orders");
        await HostingKit.WaitUntilAsync(() => pipeline.State == KafkaPipelineState.Stopped, "the aborted pipeline stopped");
        Assert.Equal([0], done);
        await HostingKit.WaitUntilAsync(() => HostingKit.Committed(broker.BootstrapServers, group, topic) == 1, "record 0 (only) committed");
    }
}
