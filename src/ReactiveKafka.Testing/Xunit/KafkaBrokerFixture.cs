using Xunit;

namespace ReactiveKafka.Testing.Xunit;

/// <summary>
/// An xunit fixture that starts one <see cref="KafkaTestBroker"/> for a test class (<c>IClassFixture</c>)
/// or a collection (<c>ICollectionFixture</c>). When the chosen kind cannot run here (no Docker engine
/// for container mode), <see cref="Broker"/> marks the calling test as skipped with the reason — never
/// as passed.
/// </summary>
/// <example>
/// <code>
/// public sealed class MyPipelineTests(KafkaBrokerFixture kafka) : IClassFixture&lt;KafkaBrokerFixture&gt;
/// {
///     [Fact]
///     public async Task Pipeline_Works()
///     {
///         var topic = await kafka.Broker.CreateTopicAsync();
///         ...
///     }
/// }
/// </code>
/// </example>
public class KafkaBrokerFixture : IAsyncLifetime
{
    private KafkaTestBroker? _broker;

    /// <summary>Why the broker is unavailable, or null when it runs.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>The broker; skips the calling test (with the reason) when it could not start here.</summary>
    public KafkaTestBroker Broker
    {
        get
        {
            if (_broker is null)
            {
                Assert.Skip(UnavailableReason ?? "The Kafka test broker did not start.");
            }

            return _broker;
        }
    }

    /// <summary>The options the broker starts with; override to choose a kind or configure the bundled broker.</summary>
    protected virtual KafkaTestBrokerOptions CreateOptions() => new();

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        try
        {
            _broker = await KafkaTestBroker.StartAsync(CreateOptions()).ConfigureAwait(false);
        }
        catch (KafkaTestBrokerUnavailableException ex)
        {
            UnavailableReason = ex.Message;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_broker is not null)
        {
            await _broker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
