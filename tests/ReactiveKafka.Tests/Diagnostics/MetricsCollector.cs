using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>
/// Listens to the <c>ReactiveKafka</c> meter and keeps every measurement with its tags. The meter is process-wide and
/// tests run in parallel: filter on the test's own topic or group.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    public sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
    }

    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public MetricsCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KafkaDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<Measured> All => [.. _measured];

    public IEnumerable<Measured> Of(string instrument, string tag, string value) =>
        All.Where(m => m.Instrument == instrument && m.Tag(tag) == value);

    /// <summary>Reads the observable instruments now (their measurements join the others).</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>Waits until <paramref name="condition"/> holds over the measurements (observing gauges each time).</summary>
    public async Task WaitUntilAsync(Func<MetricsCollector, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Metrics never showed {what}; measured: " +
                    string.Join("; ", All.GroupBy(m => m.Instrument).Select(g => $"{g.Key} x{g.Count()}")));
            }

            await Task.Delay(50);
            Observe();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var (key, tagValue) in tags)
        {
            copy[key] = tagValue;
        }

        _measured.Enqueue(new Measured(instrument.Name, value, copy));
    }
}
