using ReactiveKafka.Broker;

namespace ReactiveKafka.Testing.Kinds;

/// <summary>
/// The bundled broker in-process on a free loopback port, with a temporary data directory deleted on dispose; with
/// <see cref="KafkaTestBrokerOptions.Security"/>, one listener of the matching protocol, a throwaway CA and server
/// certificate, and the SASL users.
/// </summary>
internal sealed class BundledTestBroker : KafkaTestBroker
{
    private readonly BrokerOptions _brokerOptions;
    private readonly KafkaTestCertificates? _certificates;
    private KafkaBroker _broker;

    private BundledTestBroker(KafkaTestBrokerOptions options, BrokerOptions brokerOptions, KafkaBroker broker, KafkaTestCertificates? certificates, IReadOnlyDictionary<string, string> clientSecurity)
        : base(options)
    {
        _brokerOptions = brokerOptions;
        _broker = broker;
        _certificates = certificates;
        ClientSecurity = clientSecurity;
        Faults = new KafkaTestFaults(() => _broker.Faults);
    }

    public override IReadOnlyDictionary<string, string> ClientSecurity { get; }

    /// <summary>The throwaway CA and server certificate of a TLS test broker, or null.</summary>
    public KafkaTestCertificates? Certificates => _certificates;

    public override KafkaTestBrokerKind Kind => KafkaTestBrokerKind.Bundled;

    public override string BootstrapServers => _broker.BootstrapServers;

    public override KafkaTestFaults Faults { get; }

    /// <summary>The running broker (replaced by <see cref="RestartAsync"/>).</summary>
    public KafkaBroker Broker => _broker;

    public static async Task<BundledTestBroker> LaunchAsync(KafkaTestBrokerOptions options, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-test-" + Guid.NewGuid().ToString("N")[..12]);
        // No initial rebalance delay, as Testcontainers' Kafka sets it: a test's group forms at its first join
        // (Kafka's default of 3 s made the receiver tests three times slower). ConfigureBundled can restore it.
        var brokerOptions = new BrokerOptions { DataDirectory = dataDirectory, Listener = "127.0.0.1:0", GroupInitialRebalanceDelay = TimeSpan.Zero };
        brokerOptions = (options.ConfigureBundled?.Invoke(brokerOptions) ?? brokerOptions) with { DataDirectory = dataDirectory };
        var (secured, certificates, clientSecurity) = TestBrokerSecurity.Apply(options.Security, brokerOptions);
        brokerOptions = secured;
        try
        {
            var broker = await KafkaBroker.StartAsync(brokerOptions, cancellationToken).ConfigureAwait(false);

            // Restarts must come back on the same port: clients keep the address they bootstrapped from.
            var bound = $"{broker.ListenEndPoint.Address}:{broker.ListenEndPoint.Port}";
            brokerOptions = brokerOptions.Listeners is [var only]
                ? brokerOptions with { Listeners = [only with { Address = bound }] }
                : brokerOptions with { Listener = bound };
            return new BundledTestBroker(options, brokerOptions, broker, certificates, clientSecurity);
        }
        catch
        {
            certificates?.Dispose();
            TryDelete(dataDirectory);
            throw;
        }
    }

    public override async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await _broker.DisposeAsync().ConfigureAwait(false);
        _broker = await KafkaBroker.StartAsync(_brokerOptions, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync().ConfigureAwait(false);
        _certificates?.Dispose();
        TryDelete(_brokerOptions.DataDirectory);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open by a client library; the temp directory is cleaned by the OS eventually.
        }
    }
}
