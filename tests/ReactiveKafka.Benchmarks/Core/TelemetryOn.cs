using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>
/// Turns ReactiveKafka's tracing and metrics on for a measured run, as an OpenTelemetry SDK would before exporting:
/// every instrument of the meter listened to, and every span of the <c>ReactiveKafka</c> source sampled and recorded,
/// or only a share of them chosen by trace id as OpenTelemetry's <c>TraceIdRatioBasedSampler</c> does (the others get
/// what OpenTelemetry's SDK answers for a dropped span: propagation only, so the context still travels). The callbacks themselves are minimal (a count), so the cost measured is the SDK's own
/// instrumentation.
/// </summary>
public sealed class TelemetryOn : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private long _spans;
    private long _measurements;

    public TelemetryOn(double sampledRatio = 1)
    {
        // TraceIdRatioBasedSampler's rule: the trace id's first 8 bytes, as a number, below ratio × long.MaxValue.
        var bound = sampledRatio >= 1 ? long.MaxValue : (long)(sampledRatio * long.MaxValue);
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KafkaDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                bound == long.MaxValue || Sampled(options.TraceId, bound) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.PropagationData,
            ActivityStopped = activity =>
            {
                if (activity.Recorded)
                {
                    Interlocked.Increment(ref _spans);
                }
            },
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

    private static bool Sampled(ActivityTraceId traceId, long bound)
    {
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        var value = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(bytes);
        return (value == long.MinValue ? long.MaxValue : Math.Abs(value)) < bound;
    }

    /// <summary>Sampled (recorded) spans ended while on.</summary>
    public long Spans => Interlocked.Read(ref _spans);

    /// <summary>Measurements recorded while on.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }
}
