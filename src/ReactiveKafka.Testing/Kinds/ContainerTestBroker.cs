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

    public static async Task<ContainerTestBroker> LaunchAsync(KafkaTestBrokerOptions options, CancellationToken cancellationToken)
    {
        // The resource reaper is itself an image pulled from a registry; tests dispose their containers.
        TestcontainersSettings.ResourceReaperEnabled = false;
        IContainer container;
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
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("READY"))
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
        catch (Exception ex) when (ex is DockerUnavailableException or DotNet.Testcontainers.Builders.DockerUnavailableException || IsDockerProblem(ex))
        {
            throw new KafkaTestBrokerUnavailableException(
                $"Container mode needs a running Docker engine and the image '{options.ContainerImage}' (local or pullable): {ex.GetBaseException().Message}", ex);
        }

        return new ContainerTestBroker(options, container, bootstrap);
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
