using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// Metrics: counters recorded on the loop thread (only when someone listens), and the gauges' values (paused
/// partitions by reason, lag per partition) published by the loop for collection from any thread.
/// </summary>
internal sealed partial class ConsumerLoop<TKey, TValue> : IObservedClient
{
    /// <summary>How often the lag is sampled (from librdkafka's cached watermarks: no request to the broker).</summary>
    private static readonly TimeSpan LagSampleInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest the loop waits for a paused partition's high watermark from the broker.</summary>
    private static readonly TimeSpan LagQueryTimeout = TimeSpan.FromMilliseconds(500);

    private volatile LagSample[] _lag = [];
    private long _totalLag = -1;
    private long _nextLagSample;
    private volatile int _pausedForBackpressure;
    private volatile int _pausedForCommitRetry;
    private volatile int _pausedByUser;
    private long _backpressurePausedSince;
    private long _commitRetryPausedSince;

    /// <summary>One partition's lag as last sampled.</summary>
    private readonly record struct LagSample(string Topic, string Partition, long Lag);

    /// <summary>How long the assignment has been paused for backpressure now (zero when it is not; any thread).</summary>
    private TimeSpan BackpressurePause =>
        Volatile.Read(ref _backpressurePausedSince) is var since and > 0 ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;

    void IObservedClient.Observe(ObservedValue what, List<Measurement<long>> into)
    {
        if (what == ObservedValue.PausedPartitions)
        {
            into.Add(new(_pausedForBackpressure, Tag("reactivekafka.pause.reason", "backpressure"), Tag("messaging.consumer.group.name", _group)));
            into.Add(new(_pausedForCommitRetry, Tag("reactivekafka.pause.reason", "commit_retry"), Tag("messaging.consumer.group.name", _group)));
            into.Add(new(_pausedByUser, Tag("reactivekafka.pause.reason", "user"), Tag("messaging.consumer.group.name", _group)));
        }
        else if (what == ObservedValue.Lag)
        {
            foreach (var sample in _lag)
            {
                into.Add(new(sample.Lag,
                    Tag("messaging.system", "kafka"),
                    Tag("messaging.consumer.group.name", _group),
                    Tag("messaging.destination.name", sample.Topic),
                    Tag("messaging.destination.partition.id", sample.Partition)));
            }
        }
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    /// <summary>Publishes the paused partitions per reason (loop thread, after the pauses were applied).</summary>
    private void PublishPaused()
    {
        var all = _assigned.Count;
        _pausedForBackpressure = (_reasons & PauseReasons.Backpressure) != 0 ? all : 0;
        _pausedForCommitRetry = (_reasons & PauseReasons.CommitRetry) != 0 ? all : 0;
        var user = 0;
        if (_userPaused.Count > 0)
        {
            foreach (var partition in _assigned.Keys)
            {
                user += _userPaused.Contains(partition) ? 1 : 0;
            }
        }

        _pausedByUser = user;
    }

    /// <summary>Marks the start or end of a whole-assignment pause reason; an end records its duration.</summary>
    private void PauseReasonChanged(PauseReasons reason, bool started)
    {
        ref var since = ref reason == PauseReasons.Backpressure ? ref _backpressurePausedSince : ref _commitRetryPausedSince;
        if (started)
        {
            if (since == 0)
            {
                Volatile.Write(ref since, Stopwatch.GetTimestamp());
            }

            return;
        }

        if (since != 0)
        {
            if (KafkaDiagnostics.IsSupported && KafkaMetrics.PauseDuration.Enabled)
            {
                var tags = new TagList
                {
                    { "messaging.consumer.group.name", _group },
                    { "reactivekafka.pause.reason", reason == PauseReasons.Backpressure ? "backpressure" : "commit_retry" },
                };
                KafkaMetrics.PauseDuration.Record(KafkaMetrics.SecondsSince(since), tags);
            }

            Volatile.Write(ref since, 0);
        }
    }

    /// <summary>Samples each assigned partition's lag about once a second (loop thread).</summary>
    private void SampleLagIfDue()
    {
        var now = Now;
        if (now < _nextLagSample)
        {
            return;
        }

        _nextLagSample = After(LagSampleInterval);
        var samples = new List<LagSample>(_assigned.Count);
        long total = 0;
        foreach (var partition in _assigned.Values)
        {
            var high = HighWatermark(partition.TopicPartition);
            var next = partition.Tracker.LastAdded >= 0 ? partition.Tracker.LastAdded + 1 : _consumer!.Position(partition.TopicPartition).Value;
            if (high == Offset.Unset || next < 0)
            {
                continue;
            }

            var lag = Math.Max(0, high.Value - next);
            total += lag;
            samples.Add(new LagSample(partition.TopicPartition.Topic, PartitionIds.Of(partition.TopicPartition.Partition.Value), lag));
        }

        _lag = [.. samples];
        Volatile.Write(ref _totalLag, samples.Count > 0 ? total : -1);
    }

    /// <summary>
    /// A partition's high watermark for the lag: librdkafka's cached one, which only fetch responses update. A paused
    /// partition is not fetched, so its cached watermark stops while production goes on and the lag of a receiver that
    /// cannot keep up would look flat exactly when it grows; for those the broker is asked (one round trip per paused
    /// partition a second, bounded by <see cref="LagQueryTimeout"/>; a failure skips the sample).
    /// </summary>
    private Offset HighWatermark(TopicPartition partition)
    {
        if (!_paused.Contains(partition))
        {
            return _consumer!.GetWatermarkOffsets(partition).High;
        }

        try
        {
            return _consumer!.QueryWatermarkOffsets(partition, LagQueryTimeout).High;
        }
        catch (KafkaException)
        {
            return Offset.Unset;
        }
    }

    /// <summary>Counts records handed to the sink, per partition run of the batch.</summary>
    private void RecordConsumed(List<ReceiverRecord<TKey, TValue>> batch)
    {
        var start = 0;
        for (var i = 1; i <= batch.Count; i++)
        {
            if (i == batch.Count || !ReferenceEquals(batch[i].Offset.Partition, batch[start].Offset.Partition))
            {
                KafkaMetrics.ConsumedMessages.Add(i - start, PartitionTags("receive", batch[start].Offset.Partition!));
                start = i;
            }
        }
    }

    private TagList PartitionTags(string operation, PartitionState partition)
    {
        var tags = KafkaMetrics.Tags(operation);
        tags.Add("messaging.consumer.group.name", _group);
        tags.Add("messaging.destination.name", partition.TopicPartition.Topic);
        tags.Add("messaging.destination.partition.id", PartitionIds.Of(partition.TopicPartition.Partition.Value));
        return tags;
    }

    private void RecordCommitDuration(long started, Error? error) => RecordCommitDuration(KafkaMetrics.SecondsSince(started), error);

    private void RecordCommitDuration(double seconds, Error? error)
    {
        var tags = KafkaMetrics.Tags("commit");
        tags.Add("messaging.consumer.group.name", _group);
        if (error is not null)
        {
            tags.Add("error.type", error.Code.ToString());
        }

        KafkaMetrics.OperationDuration.Record(seconds, tags);
    }
}
