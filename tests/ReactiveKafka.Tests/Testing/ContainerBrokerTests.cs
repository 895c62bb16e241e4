using System.Diagnostics;
using System.Reactive.Threading.Tasks;
using Confluent.Kafka;
using ReactiveKafka.Testing;
using ReactiveKafka.Testing.Kinds;
using Xunit;

namespace ReactiveKafka.Tests.Testing;

/// <summary>
/// Container mode for real: the bundled broker's image (built by docker/build-broker-image.sh) started through
/// Testcontainers, and Apache Kafka's image. Without a Docker engine or the image, every test here reports
/// SKIPPED with the reason, never passed. Run them with .ci/container-tests.sh.
/// </summary>
[Trait("Category", "Container")]
public sealed class ContainerBrokerTests
{
    private static readonly TimeSpan ConsumeTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task BundledImage_Starts_And_Gives_Working_Bootstrap_Servers()
    {
        await using var broker = await StartOrSkipAsync(KafkaTestBrokerOptions.BundledImage);

        Assert.Equal(KafkaTestBrokerKind.Container, broker.Kind);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", broker.BootstrapServers);
        using var admin = new AdminClientBuilder(broker.CreateAdminClientConfig()).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var node = Assert.Single(metadata.Brokers);
        // The broker advertises the host's mapped port, so clients reconnect to the address they bootstrapped from.
        Assert.Equal(broker.BootstrapServers, $"{node.Host}:{node.Port}");
    }

    [Fact]
    public async Task BundledImage_Produce_Then_Consume_Round_Trip()
    {
        await using var broker = await StartOrSkipAsync(KafkaTestBrokerOptions.BundledImage);
        var ct = TestContext.Current.CancellationToken;

        var topic = await broker.CreateTopicAsync(partitions: 3, cancellationToken: ct);
        var sent = Enumerable.Range(0, 30).Select(i => ((string?)$"key-{i}", (string?)$"value-{i}")).ToList();
        var delivered = await broker.ProduceAsync(topic, sent, ct);
        Assert.All(delivered, d => Assert.Equal(PersistenceStatus.Persisted, d.Status));

        var received = await broker.ConsumeAsync(topic, sent.Count, ConsumeTimeout, ct);

        Assert.Equal(
            sent.OrderBy(r => r.Item1, StringComparer.Ordinal),
            received.Select(r => (r.Message.Key, r.Message.Value)).OrderBy(r => r.Key, StringComparer.Ordinal));
        // Per partition, offsets come back in the order they were produced.
        foreach (var partition in received.GroupBy(r => r.Partition.Value))
        {
            var produced = delivered.Where(d => d.Partition.Value == partition.Key).Select(d => d.Offset.Value);
            Assert.Equal(produced, partition.Select(r => r.Offset.Value));
        }
    }

    [Fact]
    public async Task BundledImage_SenderToReceiver_Round_Trip()
    {
        await using var broker = await StartOrSkipAsync(KafkaTestBrokerOptions.BundledImage);
        var ct = TestContext.Current.CancellationToken;
        var topic = await broker.CreateTopicAsync(partitions: 2, cancellationToken: ct);
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.CreateProducerConfig()));

        var results = await System.Reactive.Linq.Observable.ToList(sender.Send(System.Reactive.Linq.Observable.Select(
            System.Reactive.Linq.Observable.Range(0, 20), i => new SenderRecord<string, string, int>(topic, $"key-{i}", $"value-{i}", i))))
            .ToTask(ct).WaitAsync(ConsumeTimeout, ct);
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(broker.CreateConsumerConfig()) { Topics = [topic] });
        var received = new List<string>();
        await foreach (var record in receiver.ReceiveAsync(ct).WithCancellation(ct))
        {
            received.Add(record.Value);
            record.Offset.Acknowledge();
            if (received.Count == 20)
            {
                break;
            }
        }

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Exception?.Message));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"value-{i}").Order(), received.Order());
    }

    [Fact]
    public async Task BundledImage_Container_Is_Removed_On_Dispose()
    {
        var broker = await StartOrSkipAsync(KafkaTestBrokerOptions.BundledImage);
        string id;
        try
        {
            id = Assert.IsType<ContainerTestBroker>(broker).ContainerId;
            Assert.Equal(id, await DockerPsAsync(id));
        }
        finally
        {
            await broker.DisposeAsync();
        }

        // `docker ps -a` lists stopped containers too: nothing may remain.
        Assert.Equal("", await DockerPsAsync(id));
    }

    [Fact]
    public async Task ApacheKafkaImage_Round_Trip()
    {
        // Apache Kafka's image comes from Docker Hub; offline (as in this repository's CI) it is skipped with the reason.
        await using var broker = await StartOrSkipAsync(KafkaTestBrokerOptions.ApacheKafkaImage);
        var ct = TestContext.Current.CancellationToken;

        var topic = await broker.CreateTopicAsync(cancellationToken: ct);
        await broker.ProduceAsync(topic, [("k", "v")], ct);
        var received = Assert.Single(await broker.ConsumeAsync(topic, 1, ConsumeTimeout, ct));
        Assert.Equal(("k", "v"), (received.Message.Key, received.Message.Value));
    }

    /// <summary>Starts a container broker, or skips the test (with the reason) when container mode cannot run here.</summary>
    private static async Task<KafkaTestBroker> StartOrSkipAsync(string image)
    {
        var options = new KafkaTestBrokerOptions { Kind = KafkaTestBrokerKind.Container, ContainerImage = image };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var broker = await KafkaTestBroker.StartAsync(options, TestContext.Current.CancellationToken);
            // Read by .ci/container-tests.sh for its report.
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"container-start: {image} ready in {stopwatch.Elapsed.TotalMilliseconds:0} ms (StartAsync to READY)");
            return broker;
        }
        catch (KafkaTestBrokerUnavailableException ex)
        {
            Assert.Skip(ex.Message);
            throw; // unreachable: Assert.Skip throws
        }
    }

    /// <summary>The id of the container (running or not) whose id starts with <paramref name="id"/>, or "" when there is none.</summary>
    private static async Task<string> DockerPsAsync(string id)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "ps", "--all", "--no-trunc", "--quiet", "--filter", $"id={id}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run the docker CLI.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker ps failed ({process.ExitCode}): {await error}");
        return (await output).Trim();
    }
}
