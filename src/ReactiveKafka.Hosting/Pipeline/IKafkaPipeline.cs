namespace ReactiveKafka;

/// <summary>
/// A hosted pipeline as seen from outside (health checks, diagnostics): resolve it with
/// <c>services.GetRequiredKeyedService&lt;IKafkaPipeline&gt;(name)</c>. Thread-safe.
/// </summary>
public interface IKafkaPipeline
{
    /// <summary>The pipeline's name.</summary>
    string Name { get; }

    /// <summary>Where the pipeline is now.</summary>
    KafkaPipelineState State { get; }

    /// <summary>The last failure (kept after a restart), or null.</summary>
    Exception? LastError { get; }

    /// <summary>How many times the pipeline restarted after a failure.</summary>
    int Restarts { get; }

    /// <summary>Records processed and acknowledged since the host started it.</summary>
    long Processed { get; }

    /// <summary>The receiver's counts now (<see cref="KafkaReceiver{TKey, TValue}.Statistics"/>).</summary>
    ReceiverStatistics Statistics { get; }

    /// <summary>True when the receiver's lag grew at every sample over <see cref="KafkaPipelineOptions.LagGrowthWindow"/>.</summary>
    bool LagGrowing { get; }
}
