using System.Globalization;
using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka;

namespace WindowedAggregate;

/// <summary>
/// Counts page views per page in tumbling one-minute windows (by record timestamp). The state lives in a compacted
/// changelog topic: every change of a count is written there (key <c>page@windowStart</c>, value
/// <c>count|partition|offset</c>, naming the input record that made it) before that input record is acknowledged. A new
/// counter restores the counts from the changelog with a <see cref="KafkaTable{TKey, TValue}"/>, and skips input records
/// the changelog already holds (at or below the highest offset it names for their partition), so a record read again
/// after a restart is not counted twice.
/// </summary>
public sealed class WindowedCounter
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, long> _lastApplied = [];

    public int Skipped { get; private set; }

    public int Counted { get; private set; }

    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Restores the counts from the changelog.</summary>
    public async Task RestoreAsync(string bootstrapServers, string changelog, CancellationToken cancellationToken)
    {
        await using var table = await KafkaTable<string, string>.StartAsync(
            new KafkaTableOptions<string, string>(new ConsumerConfig { BootstrapServers = bootstrapServers }, changelog), cancellationToken);
        await table.WhenCaughtUpAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        foreach (var (key, value) in table.Snapshot())
        {
            var parts = value.Split('|');
            _counts[key] = long.Parse(parts[0], CultureInfo.InvariantCulture);
            var partition = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var offset = long.Parse(parts[2], CultureInfo.InvariantCulture);
            _lastApplied[partition] = Math.Max(offset, _lastApplied.GetValueOrDefault(partition, -1));
        }
    }

    /// <summary>Counts input records until <paramref name="stopAfter"/> more have been counted (skipped ones not included), then stops.</summary>
    public async Task RunAsync(string bootstrapServers, string input, string changelog, int stopAfter, CancellationToken cancellationToken)
    {
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "page-view-counter-" + input,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        })
        { Topics = [input], CommitInterval = TimeSpan.FromMilliseconds(200) });
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers }));

        await receiver.Receive()
            .Select(record => Observable.FromAsync(ct => ApplyAsync(record, sender, changelog, ct)))
            .Concat()
            .Where(static counted => counted)
            .Take(stopAfter)
            .LastOrDefaultAsync()
            .RunAsync(cancellationToken);
        await receiver.WhenReleasedAsync(cancellationToken);
    }

    private async Task<bool> ApplyAsync(ReceiverRecord<string, string> record, KafkaSender<string, string> sender, string changelog, CancellationToken cancellationToken)
    {
        if (record.Offset.Value <= _lastApplied.GetValueOrDefault(record.Partition.Value, -1))
        {
            // Already in the changelog (counted before a restart, acknowledged or not): counting it again would double it.
            Skipped++;
            record.Offset.Acknowledge();
            return false;
        }

        var windowStart = record.Timestamp.UnixTimestampMs / (long)Window.TotalMilliseconds * (long)Window.TotalMilliseconds;
        var key = $"{record.Key}@{windowStart}";
        var count = _counts.GetValueOrDefault(key) + 1;
        var result = await sender.SendAsync(
            new SenderRecord<string, string, int>(changelog, key, $"{count}|{record.Partition.Value}|{record.Offset.Value}", 0), cancellationToken);
        if (result.Exception is { } error)
        {
            throw error;
        }

        // The state changes only once the changelog holds it; the input record is acknowledged after that.
        _counts[key] = count;
        _lastApplied[record.Partition.Value] = record.Offset.Value;
        Counted++;
        record.Offset.Acknowledge();
        return true;
    }
}
