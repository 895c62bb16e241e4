namespace ReactiveKafka;

/// <summary>
/// How a hosted pipeline (<c>AddKafkaPipeline</c>) runs: its receiver, how many records it processes at once, whether
/// and how it restarts after a failure, and when its health check reports it degraded. Named after the pipeline; bind it
/// from configuration with <c>services.Configure&lt;KafkaPipelineOptions&gt;(name, section)</c>.
/// </summary>
public sealed class KafkaPipelineOptions
{
    /// <summary>The name of the receiver (<c>AddKafkaReceiver</c>) the pipeline reads; null (default): the pipeline's name.</summary>
    public string? Receiver { get; set; }

    /// <summary>
    /// How many records are processed at once. Default 1: one after the other, in order. Above 1, records (also of one
    /// partition) are processed concurrently and acknowledged as each finishes; commits still never pass an unfinished one.
    /// </summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>
    /// Whether the pipeline starts again after a failure (a handler's exception, or the receive sequence's error). The
    /// failed record was not acknowledged, so it is processed again. Default false: the pipeline stays failed.
    /// </summary>
    public bool RestartOnFailure { get; set; }

    /// <summary>The wait before the first restart; doubled after each further failure up to <see cref="MaxRestartDelay"/>. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between restarts. Default 1 minute.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The health check reports degraded once the receiver has been paused for backpressure this long. Default 30 s.</summary>
    public TimeSpan DegradedAfterBackpressure { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The health check reports degraded when the receiver's lag grew at every sample (one a second) over this window.
    /// Default 1 minute; zero disables the check.
    /// </summary>
    public TimeSpan LagGrowthWindow { get; set; } = TimeSpan.FromMinutes(1);

    internal void Validate(string name)
    {
        string? error = MaxConcurrency < 1 ? $"{nameof(MaxConcurrency)} must be at least 1."
            : RestartDelay < TimeSpan.Zero ? $"{nameof(RestartDelay)} must not be negative."
            : MaxRestartDelay < RestartDelay ? $"{nameof(MaxRestartDelay)} must be at least {nameof(RestartDelay)}."
            : DegradedAfterBackpressure < TimeSpan.Zero ? $"{nameof(DegradedAfterBackpressure)} must not be negative."
            : LagGrowthWindow < TimeSpan.Zero ? $"{nameof(LagGrowthWindow)} must not be negative."
            : null;
        if (error is not null)
        {
            throw new KafkaSettingsException($"KafkaPipelineOptions[{name}]:{error[..error.IndexOf(' ', StringComparison.Ordinal)]}", error);
        }
    }
}
