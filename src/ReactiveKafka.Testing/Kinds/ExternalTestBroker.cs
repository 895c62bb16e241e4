using Confluent.Kafka;

namespace ReactiveKafka.Testing.Kinds;

/// <summary>An existing cluster; the topics the tests create (all prefixed) are deleted on dispose.</summary>
internal sealed class ExternalTestBroker : KafkaTestBroker
{
    private readonly string _bootstrapServers;

    private ExternalTestBroker(KafkaTestBrokerOptions options, string bootstrapServers) : base(options)
    {
        _bootstrapServers = bootstrapServers;
    }

    public override KafkaTestBrokerKind Kind => KafkaTestBrokerKind.External;

    public override string BootstrapServers => _bootstrapServers;

    public static async Task<ExternalTestBroker> LaunchAsync(KafkaTestBrokerOptions options, CancellationToken cancellationToken)
    {
        var servers = options.ExternalBootstrapServers!;
        var broker = new ExternalTestBroker(options, servers);

        // Fail now, with the address in the message, rather than in the first test's first request.
        await Task.Run(() =>
        {
            using var admin = new AdminClientBuilder(broker.CreateAdminClientConfig()).Build();
            try
            {
                admin.GetMetadata(TimeSpan.FromSeconds(15));
            }
            catch (KafkaException ex)
            {
                throw new KafkaTestBrokerUnavailableException($"The external Kafka cluster at {servers} did not answer: {ex.Error.Reason}", ex);
            }
        }, cancellationToken).ConfigureAwait(false);
        return broker;
    }

    public override async ValueTask DisposeAsync() => await DeleteCreatedTopicsAsync().ConfigureAwait(false);
}
