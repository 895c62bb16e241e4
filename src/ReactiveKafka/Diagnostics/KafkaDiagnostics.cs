using System.Diagnostics.CodeAnalysis;

namespace ReactiveKafka;

/// <summary>
/// The names under which ReactiveKafka reports what it does: the logger categories, the <see cref="System.Diagnostics.Metrics.Meter"/>
/// and the <see cref="System.Diagnostics.ActivitySource"/>. Use them to subscribe, e.g. with OpenTelemetry:
/// <c>.WithMetrics(m =&gt; m.AddMeter(KafkaDiagnostics.MeterName)).WithTracing(t =&gt; t.AddSource(KafkaDiagnostics.ActivitySourceName))</c>.
/// </summary>
/// <remarks>
/// Nothing is recorded while nobody listens: every instrument and the activity source are checked before any value or
/// tag is computed, so metrics and tracing that are off cost a few branches per record. To remove even those, set the
/// feature switch <see cref="IsSupportedSwitchName"/> to false: in the project file
/// (<c>&lt;RuntimeHostConfigurationOption Include="ReactiveKafka.Diagnostics.IsSupported" Value="false" Trim="true" /&gt;</c>),
/// in <c>runtimeconfig.json</c>, or with <see cref="AppContext.SetSwitch"/> before the first sender or receiver is created.
/// The JIT then folds every instrumentation call away, and a trimmed or Native AOT application drops the code.
/// Logging is not affected.
/// </remarks>
public static class KafkaDiagnostics
{
    /// <summary>The meter of every ReactiveKafka instrument: <c>ReactiveKafka</c>.</summary>
    public const string MeterName = "ReactiveKafka";

    /// <summary>The activity source of the producer (send) and consumer (process) spans: <c>ReactiveKafka</c>.</summary>
    public const string ActivitySourceName = "ReactiveKafka";

    /// <summary>The logger category of the sender's own events: <c>ReactiveKafka.Sender</c>.</summary>
    public const string SenderCategory = "ReactiveKafka.Sender";

    /// <summary>The logger category of the receiver's own events (assignments, commits, pauses): <c>ReactiveKafka.Receiver</c>.</summary>
    public const string ReceiverCategory = "ReactiveKafka.Receiver";

    /// <summary>
    /// The logger category of librdkafka's own log lines and error events, producers and consumers alike (each entry
    /// names the client and librdkafka's facility): <c>ReactiveKafka.Librdkafka</c>.
    /// </summary>
    public const string LibrdkafkaCategory = "ReactiveKafka.Librdkafka";

    /// <summary>
    /// The name of the <see cref="AppContext"/> feature switch that compiles ReactiveKafka's metrics and tracing in
    /// (true, the default) or out (false): <c>ReactiveKafka.Diagnostics.IsSupported</c>.
    /// </summary>
    public const string IsSupportedSwitchName = "ReactiveKafka.Diagnostics.IsSupported";

    /// <summary>
    /// Whether ReactiveKafka's metrics and tracing exist in this process: the <see cref="IsSupportedSwitchName"/>
    /// switch, read once (true unless it is set to false). When false no instrument or span is ever created, whoever
    /// listens; the trimmer treats the value as a constant.
    /// </summary>
    [FeatureSwitchDefinition(IsSupportedSwitchName)]
    public static bool IsSupported { get; } = !AppContext.TryGetSwitch(IsSupportedSwitchName, out var enabled) || enabled;
}
