using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReactiveKafka.Diagnostics;

/// <summary>
/// The instruments of the <c>ReactiveKafka</c> meter. Names follow the OpenTelemetry messaging semantic conventions
/// where they define one (<c>messaging.client.*</c>, with <c>messaging.system</c>, <c>messaging.destination.name</c>,
/// <c>messaging.destination.partition.id</c>, <c>messaging.consumer.group.name</c>, <c>messaging.operation.name</c>,
/// <c>error.type</c>); the rest are <c>reactivekafka.*</c>.
/// </summary>
/// <remarks>
/// Callers check <see cref="Instrument.Enabled"/> before computing tags or timestamps, so an instrument nobody listens
/// to costs one branch. Gauges are observed from the live senders and receivers registered here (thread-safe).
/// </remarks>
internal static class KafkaMetrics
{
    public static readonly Meter Meter = new(KafkaDiagnostics.MeterName, typeof(KafkaMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>Records the producer sent: one per delivery report or local failure; failures carry <c>error.type</c>.</summary>
    public static readonly Counter<long> SentMessages = Meter.CreateCounter<long>(
        "messaging.client.sent.messages", "{message}", "Records the sender handed to Kafka, by outcome (failures carry error.type).");

    /// <summary>Send (from admission to the delivery report) and commit durations, by <c>messaging.operation.name</c>.</summary>
    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "messaging.client.operation.duration", "s", "Duration of a send (admission to delivery report) or a commit.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    /// <summary>Records taken from the consumer and handed to the subscriber.</summary>
    public static readonly Counter<long> ConsumedMessages = Meter.CreateCounter<long>(
        "messaging.client.consumed.messages", "{message}", "Records the receiver took from Kafka for its subscriber.");

    /// <summary>Acknowledgements applied by the receiver (not counting those dropped for a partition no longer owned).</summary>
    public static readonly Counter<long> AcknowledgedMessages = Meter.CreateCounter<long>(
        "reactivekafka.receiver.acknowledged.messages", "{message}", "Records acknowledged by the subscriber.");

    /// <summary>How far committed offsets advanced, in records.</summary>
    public static readonly Counter<long> CommittedMessages = Meter.CreateCounter<long>(
        "reactivekafka.receiver.committed.messages", "{message}", "Records whose offsets were committed (the committed offsets' advance).");

    /// <summary>How long the assignment stayed paused, recorded when a reason ends, by <c>reactivekafka.pause.reason</c>.</summary>
    public static readonly Histogram<double> PauseDuration = Meter.CreateHistogram<double>(
        "reactivekafka.receiver.pause.duration", "s", "How long the receiver's assignment stayed paused, by reason (recorded when the pause ends).");

    /// <summary>Live senders and receivers, observed by the gauges.</summary>
    private static readonly ConcurrentDictionary<IObservedClient, byte> Clients = new();

    static KafkaMetrics()
    {
        Meter.CreateObservableUpDownCounter(
            "reactivekafka.sender.in_flight", () => Observe(ObservedValue.InFlight), "{message}",
            "Records handed to the producer and not yet settled, per sender (messaging.client.id).");
        Meter.CreateObservableUpDownCounter(
            "reactivekafka.receiver.paused.partitions", () => Observe(ObservedValue.PausedPartitions), "{partition}",
            "Assigned partitions paused now, by reactivekafka.pause.reason (backpressure, commit_retry, user; a partition may count under several).");
        Meter.CreateObservableGauge(
            "reactivekafka.receiver.lag", () => Observe(ObservedValue.Lag), "{message}",
            "Records between the next one the receiver takes and the partition's high watermark, per assigned partition (sampled about once a second).");
    }

    public static void Register(IObservedClient client) => Clients.TryAdd(client, 0);

    public static void Unregister(IObservedClient client) => Clients.TryRemove(client, out _);

    private static List<Measurement<long>> Observe(ObservedValue what)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var client in Clients.Keys)
        {
            client.Observe(what, measurements);
        }

        return measurements;
    }

    /// <summary>The tags every measurement carries: <c>messaging.system=kafka</c> and the operation.</summary>
    public static TagList Tags(string operation) => new()
    {
        { "messaging.system", "kafka" },
        { "messaging.operation.name", operation },
    };

    /// <summary>Seconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public static double SecondsSince(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;
}

/// <summary>What a gauge observes.</summary>
internal enum ObservedValue
{
    InFlight,
    PausedPartitions,
    Lag,
}

/// <summary>A sender or receiver whose gauges are observed while it is alive.</summary>
internal interface IObservedClient
{
    /// <summary>Adds the current values of <paramref name="what"/> (any thread: reads published state only).</summary>
    void Observe(ObservedValue what, List<Measurement<long>> into);
}
