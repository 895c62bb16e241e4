using System.Text.RegularExpressions;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>
/// What a process using ReactiveKafka writes to stderr: nothing raw from librdkafka, while librdkafka's lines reach
/// the ILogger. Each test runs the ProcessWorker as a child process and captures its stderr.
/// </summary>
public sealed partial class ProcessOutputTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    // librdkafka's own log format on stderr: "%7|1764800000.123|BROKER|rdkafka#producer-1| [thrd:...]: ..."
    [GeneratedRegex(@"^%\d\|\d+\.\d+\|")]
    private static partial Regex RawLibrdkafkaLine();

    [Fact]
    public async Task SenderAndReceiver_LibrdkafkaLogging_NothingRawOnStderr_LinesReachTheLogger()
    {
        var topic = await broker.CreateTopicAsync();

        var output = await ProcessWorker.RunAsync("logs", broker.BootstrapServers, topic);

        Assert.True(output.ExitCode == 0, output.ToString());
        Assert.Contains("RECEIVED 5", output.Stdout);
        Assert.DoesNotContain(output.Stderr, l => RawLibrdkafkaLine().IsMatch(l) || l.Contains("rdkafka#", StringComparison.Ordinal));
        var logged = output.Stdout.Where(l => l.StartsWith("LOG|ReactiveKafka.Librdkafka|", StringComparison.Ordinal)).ToList();

        // The closed port: librdkafka's connection failures as warnings or errors.
        Assert.Contains(logged, l => (l.Contains("|Warning|", StringComparison.Ordinal) || l.Contains("|Error|", StringComparison.Ordinal))
            && l.Contains("rdkafka#producer", StringComparison.Ordinal));

        // The `debug` setting: librdkafka's debug lines of both clients at Debug.
        Assert.Contains(logged, l => l.Contains("|Debug|LibrdkafkaLog|", StringComparison.Ordinal) && l.Contains("rdkafka#producer", StringComparison.Ordinal));
        Assert.Contains(logged, l => l.Contains("|Debug|LibrdkafkaLog|", StringComparison.Ordinal) && l.Contains("rdkafka#consumer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RawConfluentProducer_ClosedPort_LibrdkafkaLinesOnStderr()
    {
        // The control: without ReactiveKafka's handlers librdkafka writes to stderr, and this capture sees it.
        var output = await ProcessWorker.RunAsync("raw-control");

        Assert.True(output.ExitCode == 0, output.ToString());
        Assert.Contains(output.Stderr, l => RawLibrdkafkaLine().IsMatch(l));
    }
}
