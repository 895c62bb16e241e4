using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace ReactiveKafka.Diagnostics;

/// <summary>
/// The <c>ReactiveKafka</c> activity source: a producer span per send, whose W3C context goes into the record's
/// <c>traceparent</c>/<c>tracestate</c> headers, and a consumer (process) span per received record, parented on the
/// context found in those headers. Attributes follow the OpenTelemetry messaging semantic conventions.
/// </summary>
/// <remarks>
/// Callers check <see cref="ActivitySource.HasListeners"/> first: with nobody listening no header is read or written.
/// Spans are started and stopped on ReactiveKafka's own threads, so <see cref="Activity.Current"/> is restored around
/// both: a span never leaks into the ambient context of the thread that happened to start or stop it.
/// </remarks>
internal static class KafkaTracing
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    public static readonly ActivitySource Source = new(KafkaDiagnostics.ActivitySourceName, typeof(KafkaTracing).Assembly.GetName().Version?.ToString());

    private static readonly System.Buffers.SearchValues<byte> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef"u8);

    /// <summary>
    /// Whether a span may be started: instrumentation compiled in and someone listening to the source. The one check per
    /// record when tracing is off (a constant false when the feature switch removed it).
    /// </summary>
    public static bool IsListening => KafkaDiagnostics.IsSupported && Source.HasListeners();

    /// <summary>
    /// Starts the producer span of one record (child of <see cref="Activity.Current"/>) and returns it with the headers
    /// to send: a copy of <paramref name="headers"/> (the caller's object is never changed) with the span's context.
    /// </summary>
    public static Activity? StartSend(string topic, int? partition, ref Headers? headers, Headers? callerHeaders)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity(SpanNames.Send(topic), ActivityKind.Producer);
        Activity.Current = previous;
        if (activity is null)
        {
            return null;
        }

        if (activity.IsAllDataRequested)
        {
            // A new span has no tags: AddTag appends without SetTag's search of those already set.
            activity.AddTag("messaging.system", "kafka");
            activity.AddTag("messaging.operation.name", "send");
            activity.AddTag("messaging.operation.type", "send");
            activity.AddTag("messaging.destination.name", topic);
            if (partition is { } p)
            {
                activity.AddTag("messaging.destination.partition.id", PartitionIds.Of(p));
            }
        }

        if (headers is null || ReferenceEquals(headers, callerHeaders))
        {
            var copy = new Headers();
            foreach (var header in callerHeaders ?? [])
            {
                if (header.Key is not (TraceParentHeader or TraceStateHeader))
                {
                    copy.Add(header.Key, header.GetValueBytes());
                }
            }

            headers = copy;
        }
        else
        {
            headers.Remove(TraceParentHeader);
            headers.Remove(TraceStateHeader);
        }

        headers.Add(TraceParentHeader, TraceParent(activity));
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            headers.Add(TraceStateHeader, Encoding.ASCII.GetBytes(state));
        }

        return activity;
    }

    /// <summary>Ends a producer span with the record's outcome.</summary>
    public static void StopSend(Activity activity, Partition partition, Offset offset, Exception? error)
    {
        if (activity.IsAllDataRequested)
        {
            if (partition.Value >= 0)
            {
                activity.SetTag("messaging.destination.partition.id", PartitionIds.Of(partition.Value));
            }

            if (offset.Value >= 0)
            {
                activity.AddTag("messaging.kafka.offset", offset.Value);
            }
        }

        if (error is not null)
        {
            activity.SetTag("error.type", error is KafkaException kafka ? kafka.Error.Code.ToString() : error.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        Stop(activity);
    }

    /// <summary>
    /// Starts the consumer (process) span of one received record, parented on the context in its <c>traceparent</c>
    /// header (none: a new trace), on the loop thread; it ends when the record is acknowledged.
    /// </summary>
    public static Activity? StartProcess(string topic, int partition, long offset, string group, Headers? headers)
    {
        var parent = default(ActivityContext);
        if (headers is not null && headers.TryGetLastBytes(TraceParentHeader, out var traceParent))
        {
            var state = headers.TryGetLastBytes(TraceStateHeader, out var stateBytes) ? Encoding.ASCII.GetString(stateBytes) : null;
            if (!TryParseTraceParent(traceParent, state, out parent))
            {
                // Not the common version-00 form: the runtime's parser knows every other (and rejects what it must).
                ActivityContext.TryParse(Encoding.ASCII.GetString(traceParent), state, isRemote: true, out parent);
            }
        }

        var previous = Activity.Current;
        Activity.Current = null; // the loop thread has no ambient span; the parent comes from the record only
        var activity = Source.StartActivity(SpanNames.Process(topic), ActivityKind.Consumer, parent);
        Activity.Current = previous;
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddTag("messaging.system", "kafka");
            activity.AddTag("messaging.operation.name", "process");
            activity.AddTag("messaging.operation.type", "process");
            activity.AddTag("messaging.destination.name", topic);
            activity.AddTag("messaging.destination.partition.id", PartitionIds.Of(partition));
            activity.AddTag("messaging.consumer.group.name", group);
            activity.AddTag("messaging.kafka.offset", offset);
        }

        return activity;
    }

    /// <summary>
    /// The W3C <c>traceparent</c> value (<c>00-{trace id}-{span id}-{flags}</c>) written straight into its 55 bytes,
    /// without formatting <see cref="Activity.Id"/> as a string first (one allocation per record instead of three).
    /// </summary>
    private static byte[] TraceParent(Activity activity)
    {
        // The ids hold their hex text already (ToHexString returns it, no allocation).
        var bytes = new byte[55];
        "00-"u8.CopyTo(bytes);
        Encoding.ASCII.GetBytes(activity.TraceId.ToHexString(), bytes.AsSpan(3, 32));
        bytes[35] = (byte)'-';
        Encoding.ASCII.GetBytes(activity.SpanId.ToHexString(), bytes.AsSpan(36, 16));
        bytes[52] = (byte)'-';
        bytes[53] = (byte)'0';
        bytes[54] = (activity.ActivityTraceFlags & ActivityTraceFlags.Recorded) != 0 ? (byte)'1' : (byte)'0';
        return bytes;
    }

    /// <summary>
    /// Parses a version-00 <c>traceparent</c> (<c>00-{32 hex}-{16 hex}-{2 hex}</c>, lower-case, ids not all zero) from
    /// the header's bytes, without making a string of it first; false for anything else.
    /// </summary>
    internal static bool TryParseTraceParent(ReadOnlySpan<byte> value, string? traceState, out ActivityContext context)
    {
        context = default;
        if (value.Length != 55 || !value.StartsWith("00-"u8) || value[35] != '-' || value[52] != '-')
        {
            return false;
        }

        var traceId = value.Slice(3, 32);
        var spanId = value.Slice(36, 16);
        var flags = value.Slice(53, 2);
        if (!IsLowerHex(traceId) || !IsLowerHex(spanId) || !IsLowerHex(flags)
            || !traceId.ContainsAnyExcept((byte)'0') || !spanId.ContainsAnyExcept((byte)'0'))
        {
            return false;
        }

        var recorded = (HexValue(flags[1]) & 1) != 0;
        context = new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(traceId),
            ActivitySpanId.CreateFromUtf8String(spanId),
            recorded ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            traceState,
            isRemote: true);
        return true;

        static bool IsLowerHex(ReadOnlySpan<byte> text) => !text.ContainsAnyExcept(LowerHex);

        static int HexValue(byte c) => c <= '9' ? c - '0' : c - 'a' + 10;
    }

    /// <summary>Stops a span without leaving it (or its parent) as the stopping thread's current activity.</summary>
    public static void Stop(Activity activity)
    {
        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous;
    }
}
