using ReactiveKafka.Testing;
using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Examples;

/// <summary>
/// The issue-16 examples' scenarios against the test broker: each checks its own outcome (counts, restored state,
/// the CDC replica equal to its source) and returns false when it does not hold.
/// </summary>
public sealed class ExampleScenarioTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task DeadLetters_processes_retries_and_dead_letters_as_stated()
    {
        var output = new StringWriter();
        var ok = await DeadLetters.DeadLetterScenario.RunAsync(broker.BootstrapServers, output, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(ok, output.ToString());
    }

    [Fact]
    public async Task Table_restores_its_view_after_a_broker_restart()
    {
        var output = new StringWriter();
        var ok = await Table.TableScenario.RunAsync(broker.BootstrapServers, RestartAsync, output, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(ok, output.ToString());
    }

    [Fact]
    public async Task WindowedAggregate_restores_its_counts_from_the_changelog_after_a_restart()
    {
        var output = new StringWriter();
        var ok = await WindowedAggregate.WindowedAggregateScenario.RunAsync(broker.BootstrapServers, RestartAsync, output, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(ok, output.ToString());
    }

    [Fact]
    public async Task ChangeDataCapture_replica_equals_the_source_after_inserts_updates_deletes_and_a_restart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rk-cdc-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var output = new StringWriter();
            var ok = await ChangeDataCapture.ChangeDataCaptureScenario.RunAsync(broker.BootstrapServers, directory, output, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            TestContext.Current.TestOutputHelper?.WriteLine(output.ToString());
            Assert.True(ok, output.ToString());
            Assert.Contains("67 changes applied (each once: 0 twice)", output.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<string> RestartAsync()
    {
        if (broker.Broker.Kind == KafkaTestBrokerKind.Bundled)
        {
            await broker.Broker.RestartAsync(TestContext.Current.CancellationToken);
        }

        return broker.BootstrapServers;
    }
}
