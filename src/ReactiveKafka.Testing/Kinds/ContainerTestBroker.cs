using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Testcontainers.Kafka;

namespace ReactiveKafka.Testing.Kinds;

/// <summary>
/// A broker in a Docker container through Testcontainers: Apache Kafka (KRaft) by default, or the bundled
/// broker's own image (<see cref="KafkaTestBrokerOptions.BundledImage"/>). No Docker engine, or an image
/// that is neither local nor pullable, makes it unavailable (the tests report skipped with the reason).
/// </summary>
internal sealed class ContainerTestBroker : KafkaTestBroker
{
    private const int BundledContainerPort = 9092;
    private readonly IContainer _container;
    private readonly string _bootstrapServers;

    private ContainerTestBroker(KafkaTestBrokerOptions options, IContainer container, string bootstrapServers) : base(options)
    {
        _container = container;
        _bootstrapServers = bootstrapServers;
    }

    public override KafkaTestBrokerKind Kind => KafkaTestBrokerKind.Container;

    public override string BootstrapServers => _bootstrapServers;

    /// <summary>The Docker container's id (for tests that check it is removed).</summary>
    internal string ContainerId => _container.Id;

    public static async Task<ContainerTestBroker> LaunchAsync(KafkaTestBrokerOptions options, CancellationToken cancellationToken)
    {
        // The resource reaper is itself an image pulled from a registry; tests dispose their containers.
        TestcontainersSettings.ResourceReaperEnabled = false;
        IContainer? container = null;
        string bootstrap;
        try
        {
            if (options.ContainerImage == KafkaTestBrokerOptions.BundledImage)
            {
                // The broker must advertise the address clients dial, which is the host's mapped port: choose it
                // before the container starts and map it one to one.
                var hostPort = FreeLoopbackPort();
                container = new ContainerBuilder(options.ContainerImage)
                    .WithImagePullPolicy(DotNet.Testcontainers.Images.PullPolicy.Missing)
                    .WithPortBinding(hostPort, BundledContainerPort)
                    .WithCommand("--data-dir", "/data", "--listen", $"0.0.0.0:{BundledContainerPort}", "--advertised", $"127.0.0.1:{hostPort}", "--flush", "os")
                    // Poll the log often: the broker is ready well within a second.
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("READY", w => w.WithInterval(TimeSpan.FromMilliseconds(100))))
                    .Build();
                bootstrap = $"127.0.0.1:{hostPort}";
            }
            else
            {
                var kafka = new KafkaBuilder(options.ContainerImage).Build();
                container = kafka;
                bootstrap = "";
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            await container.StartAsync(timeout.Token).ConfigureAwait(false);
            if (container is KafkaContainer started)
            {
                bootstrap = new Uri(started.GetBootstrapAddress()).Authority;
            }
        }
        catch (Exception ex) when (ex is DockerUnavailableException || IsDockerProblem(ex))
        {
            await DisposeQuietlyAsync(container).ConfigureAwait(false);
            var hint = options.ContainerImage == KafkaTestBrokerOptions.BundledImage ? " (build it with docker/build-broker-image.sh)" : "";
            var detail = ex.GetBaseException().Message;
            if (ex is DockerUnavailableException && ex.GetBaseException() != ex)
            {
                // "Cannot assign requested address" alone does not say that no engine answered.
                detail = $"{ex.Message} ({detail})";
            }

            var apiVersion = System.Text.RegularExpressions.Regex.Match(detail, @"Maximum supported API version is (\d+\.\d+)");
            if (apiVersion.Success)
            {
                // Testcontainers speaks Docker API 1.44 (Docker Engine 25) unless told otherwise.
                detail += $" — the engine is older than Testcontainers expects: set DOCKER_API_VERSION={apiVersion.Groups[1].Value} (or upgrade to Docker Engine 25+)";
            }

            throw new KafkaTestBrokerUnavailableException(
                $"Container mode needs a running Docker engine and the image '{options.ContainerImage}' (local or pullable){hint}: {detail}", ex);
        }
        catch
        {
            // Started but never ready (or cancelled): do not leave the container behind.
            await DisposeQuietlyAsync(container).ConfigureAwait(false);
            throw;
        }

        return new ContainerTestBroker(options, container, bootstrap);
    }

    private static async Task DisposeQuietlyAsync(IContainer? container)
    {
        if (container is null)
        {
            return;
        }

        try
        {
            await container.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The engine is gone or the container was never created; nothing more to clean up.
        }
    }

    private static bool IsDockerProblem(Exception ex) =>
        ex.GetType().FullName?.StartsWith("Docker.DotNet", StringComparison.Ordinal) == true ||
        ex.GetBaseException() is SocketException or HttpRequestException ||
        ex is DockerUnavailableException;

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync().ConfigureAwait(false);
    }
}
