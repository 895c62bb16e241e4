using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>
/// The <see cref="KafkaDiagnostics.IsSupportedSwitchName"/> feature switch, read once per process: each test runs the
/// ProcessWorker, which listens to every span and instrument while it sends and receives five records.
/// </summary>
public sealed class TelemetrySwitchTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    [Fact]
    public async Task SwitchedOut_ListenersAttached_NoSpansNoMeasurementsNoTraceHeaders()
    {
        var topic = await broker.CreateTopicAsync();

        var output = await ProcessWorker.RunAsync("telemetry", "switched-out", broker.BootstrapServers, topic);

        Assert.True(output.ExitCode == 0, output.ToString());
        Assert.Contains("SUPPORTED False", output.Stdout);
        Assert.Equal(5, output.Value("RECEIVED"));
        Assert.Equal(0, output.Value("SPANS"));
        Assert.Equal(0, output.Value("MEASUREMENTS"));
        Assert.Equal(0, output.Value("TRACEPARENT"));
    }

    [Fact]
    public async Task Default_ListenersAttached_SpansMeasurementsAndTraceHeaders()
    {
        var topic = await broker.CreateTopicAsync();

        var output = await ProcessWorker.RunAsync("telemetry", "on", broker.BootstrapServers, topic);

        Assert.True(output.ExitCode == 0, output.ToString());
        Assert.Contains("SUPPORTED True", output.Stdout);
        Assert.Equal(5, output.Value("RECEIVED"));
        Assert.Equal(10, output.Value("SPANS")); // 5 send + 5 process spans
        Assert.True(output.Value("MEASUREMENTS") >= 10, output.ToString());
        Assert.Equal(5, output.Value("TRACEPARENT"));
    }
}
