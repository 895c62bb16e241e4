using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>
/// Turns ReactiveKafka's tracing and metrics on for a measured run, as an OpenTelemetry SDK would before exporting:
/// every span of the <c>ReactiveKafka</c> source sampled and recorded, every instrument of the meter listened to.
/// The callbacks themselves are minimal (a count), so the cost measured is the SDK's own instrumentation.
/// </summary>
public sealed class TelemetryOn : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private long _spans;
    private long _measurements;

    public TelemetryOn()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KafkaDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _spans),
        };
        ActivitySource.AddActivityListener(_activities);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KafkaDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.Start();
    }

    /// <summary>Spans ended while on.</summary>
    public long Spans => Interlocked.Read(ref _spans);

    /// <summary>Measurements recorded while on.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }
}
