using Confluent.Kafka;
using ReactiveKafka.Diagnostics;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>Polling, the bounds, and pausing from the explicit set of reasons.</summary>
internal sealed partial class ConsumerLoop<TKey, TValue>
{
    /// <summary>
    /// The partitions paused in the consumer, assigned or not: librdkafka keeps a partition's pause across its revocation
    /// (or loss) and a later re-assignment, so this set is not cleared by rebalances. Forgetting it there left partitions
    /// given back after a rebalance paused forever while the loop thought they were fetching (issue 19).
    /// </summary>
    private readonly HashSet<TopicPartition> _paused = [];

    /// <summary>Partitions assigned since the last <see cref="ApplyPauses"/>: their pause state is set explicitly.</summary>
    private readonly HashSet<TopicPartition> _newlyAssigned = [];
    private readonly HashSet<TopicPartition> _userPaused = [];
    private PauseReasons _reasons;
    private volatile bool _holding;
    private ReachedBounds _reached;
    private long _holdingSince;
    private int _unacknowledged;
    private int _deferred;
    private List<ReceiverRecord<TKey, TValue>>? _heldBatch;

    private long _pauses;

    /// <summary>The (topic, error) pairs of non-fatal consume errors already logged (loop thread).</summary>
    private readonly HashSet<(string Topic, ErrorCode Code)> _reportedConsumeErrors = [];

    /// <summary>How many times partitions were paused (diagnostics, tests).</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>The partitions paused in the consumer, assigned or not (diagnostics, tests; a copy, racy).</summary>
    public IReadOnlyList<TopicPartition> PausedPartitions => [.. _paused];

    /// <summary>The reasons currently pausing the whole assignment (diagnostics, tests).</summary>
    public PauseReasons Reasons => _reasons;

    /// <summary>Adds or removes partitions from the user's pause set (loop thread).</summary>
    public void SetUserPaused(IReadOnlyList<TopicPartition> partitions, bool pause)
    {
        foreach (var partition in partitions)
        {
            if (pause)
            {
                _userPaused.Add(partition);
            }
            else
            {
                _userPaused.Remove(partition);
            }
        }
    }

    /// <summary>
    /// Updates the backpressure state, then makes the consumer's paused partitions exactly those the reasons call for.
    /// </summary>
    /// <remarks>
    /// At a bound the loop first only holds (takes no records; librdkafka stops fetching by itself when its queue
    /// fills): pausing purges librdkafka's prefetched records and costs a fetch round trip on resume, so a subscriber
    /// that catches up quickly is not made to pay it. If the bound still holds after <see cref="HoldBeforePause"/>,
    /// the backpressure reason pauses the assignment and polling goes on. Either ends when every bound reached is back at
    /// half or below (<see cref="BackpressureBounds"/>: each bound has its own hysteresis).
    /// </remarks>
    private void ApplyPauses()
    {
        _reached = ReachedAfter(Buffer.Count);
        if (_reached != ReachedBounds.None && !_holding)
        {
            _holding = true;
            _holdingSince = Now;
        }
        else if (_reached == ReachedBounds.None && _holding)
        {
            _holding = false;
            if ((_reasons & PauseReasons.Backpressure) != 0)
            {
                ReceiverLog.BackpressureResumed(_logger, _group, System.Diagnostics.Stopwatch.GetElapsedTime(_holdingSince).TotalSeconds);
                PauseReasonChanged(PauseReasons.Backpressure, started: false);
            }

            _reasons &= ~PauseReasons.Backpressure;
        }

        if (_holding && (_reasons & PauseReasons.Backpressure) == 0 && Now - _holdingSince >= _holdBeforePauseTicks)
        {
            _reasons |= PauseReasons.Backpressure;
            PauseReasonChanged(PauseReasons.Backpressure, started: true);
            ReceiverLog.BackpressurePaused(_logger, _group, _assigned.Count);
        }

        List<TopicPartition>? pause = null, resume = null;
        var paused = 0;
        foreach (var partition in _assigned.Keys)
        {
            // A newly assigned partition may carry a pause from an earlier ownership period (resumed here when no reason
            // holds), or none although one was recorded (paused again when a reason holds): set it either way.
            var wanted = ShouldPause(partition);
            var fresh = _newlyAssigned.Contains(partition);
            paused += wanted ? 1 : 0;
            if (wanted && (fresh || !_paused.Contains(partition)))
            {
                (pause ??= []).Add(partition);
            }
            else if (!wanted && _paused.Contains(partition))
            {
                (resume ??= []).Add(partition);
            }
        }

        _newlyAssigned.Clear();
        _assignedCount = _assigned.Count;
        _pausedCount = paused;
        PublishPaused();
        if (pause is not null)
        {
            _consumer!.Pause(pause);
            _paused.UnionWith(pause);
            Interlocked.Increment(ref _pauses);
        }

        if (resume is not null)
        {
            _consumer!.Resume(resume);
            _paused.ExceptWith(resume);
            foreach (var partition in resume)
            {
                _assigned[partition].SoughtBackTo = -1;
            }
        }
    }

    private bool ShouldPause(TopicPartition partition) => _reasons != PauseReasons.None || _userPaused.Contains(partition);

    private ReachedBounds ReachedAfter(long buffered) => BackpressureBounds.Update(
        _reached, buffered, _unacknowledged, _deferred, _options.BufferSize, _options.MaxUnacknowledged, _options.MaxDeferredCommits, _tracking);

    /// <summary>True while a bound holds and the partitions are not paused yet: wait for room instead of polling.</summary>
    private bool HoldingWithoutPause => _holding && _reasons == PauseReasons.None;

    /// <summary>
    /// Waits (without polling) until the subscriber frees room, an acknowledgement or work item arrives, the close is
    /// requested, or the poll timeout passes; it never outlasts <see cref="HoldBeforePause"/>, after which polling
    /// resumes with the partitions paused.
    /// </summary>
    private void WaitForRoom()
    {
        _wake.Reset();
        if (!_acknowledgements.IsEmpty || !_work.IsEmpty || _closeRequested || _commitInFlight is { IsDone: true }
            || ReachedAfter(Buffer.Count) == ReachedBounds.None)
        {
            return;
        }

        _wake.Wait(_options.PollTimeout);
    }

    /// <summary>How many more records may be taken now.</summary>
    private int Room()
    {
        if (_reasons != PauseReasons.None || _holding)
        {
            return 0;
        }

        var room = _options.BufferSize - Buffer.Count;
        if (_tracking)
        {
            room = Math.Min(room, _options.MaxUnacknowledged - _unacknowledged);
            if (_deferred >= _options.MaxDeferredCommits)
            {
                room = 0;
            }
        }

        return (int)Math.Max(0, room);
    }

    /// <summary>
    /// One poll: a consume that waits up to the poll timeout (it also runs heartbeats and rebalance callbacks), then
    /// consumes without waiting while records are ready and there is room. Records of partitions not owned, or owned but
    /// to be paused, are dropped and their partition sought back so they are fetched again after resuming.
    /// </summary>
    private void Poll()
    {
        var room = Room();
        List<ReceiverRecord<TKey, TValue>>? batch = null;
        var timeout = PollWait;
        while (_failure is null)
        {
            ConsumeResult<TKey, TValue>? result;
            try
            {
                result = Consume(timeout);
            }
            catch (ConsumeException) when (batch is not null && !_atMostOnce)
            {
                Deliver(batch); // the records before a bad one are emitted before the error
                throw;
            }

            timeout = TimeSpan.Zero;
            if (result is null)
            {
                break;
            }

            if (result.IsPartitionEOF || !_assigned.TryGetValue(result.TopicPartition, out var partition))
            {
                continue;
            }

            if (room <= 0 || ShouldPause(result.TopicPartition))
            {
                SeekBack(partition, result.Offset.Value);
                if (room <= 0)
                {
                    break;
                }

                continue;
            }

            if (result.Offset.Value <= partition.Tracker.LastAdded)
            {
                // Read again from an earlier offset (a seek outside the receiver): a new ownership period.
                partition = Renew(partition);
            }

            var receiverOffset = new ReceiverOffset(partition, result.TopicPartitionOffset);
            if (_tracking && KafkaTracing.IsListening)
            {
                // Only records that will be acknowledged get a span: the acknowledgement ends it.
                receiverOffset.Activity = KafkaTracing.StartProcess(result.Topic, result.Partition.Value, result.Offset.Value, _group, result.Message.Headers);
            }

            (batch ??= []).Add(new ReceiverRecord<TKey, TValue>(result, receiverOffset));
            if (partition.FirstReceived < 0)
            {
                partition.FirstReceived = result.Offset.Value;
            }

            if (_tracking)
            {
                partition.Tracker.Add(result.Offset.Value);
            }
            else
            {
                // Not waiting for acknowledgements: tracked only to notice offsets read again.
                partition.Tracker.Add(result.Offset.Value);
                partition.Tracker.Acknowledge(result.Offset.Value);
            }

            if (--room == 0)
            {
                break;
            }
        }

        if (batch is not null)
        {
            if (_atMostOnce)
            {
                _heldBatch = batch;
                CommitHeldBatch();
            }
            else
            {
                Deliver(batch);
            }
        }
    }

    private void Deliver(List<ReceiverRecord<TKey, TValue>> batch)
    {
        if (_tracking)
        {
            _unacknowledged += batch.Count;
            if (_unacknowledged > _peakUnacknowledged)
            {
                Volatile.Write(ref _peakUnacknowledged, _unacknowledged);
            }
        }

        Buffer.Add(batch.Count);
        if (KafkaDiagnostics.IsSupported && KafkaMetrics.ConsumedMessages.Enabled)
        {
            RecordConsumed(batch);
        }

        _sink.Deliver(batch);
    }

    private ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout)
    {
        try
        {
            return _consumer!.Consume(timeout);
        }
        catch (ConsumeException error) when (error.Error.Code is ErrorCode.Local_KeyDeserialization or ErrorCode.Local_ValueDeserialization)
        {
            var at = error.ConsumerRecord?.TopicPartitionOffset;
            var what = error.Error.Code == ErrorCode.Local_KeyDeserialization ? "key" : "value";
            throw new ConsumeException(
                error.ConsumerRecord,
                new Error(error.Error.Code, $"Could not deserialize the {what} of the record at topic '{at?.Topic}' partition {at?.Partition.Value} offset {at?.Offset.Value}: {error.InnerException?.Message ?? error.Error.Reason}"),
                error.InnerException ?? error);
        }
        catch (ConsumeException error) when (!error.Error.IsFatal)
        {
            // Topic or broker trouble that librdkafka keeps retrying: not the end of the sequence, but never silent.
            ConsumeFailed(error);
            return null;
        }
    }

    /// <summary>
    /// A non-fatal consume error, e.g. "Subscribed topic not available" for a topic that does not exist: counted in the
    /// statistics and logged as a warning once per topic and error code (librdkafka repeats it on every metadata
    /// refresh; a subscription that stalls on it must say why without flooding the log).
    /// </summary>
    private void ConsumeFailed(ConsumeException error)
    {
        Interlocked.Increment(ref _clientErrors);
        _counters.ClientError($"{error.Error.Code}: {error.Error.Reason}");
        var topic = error.ConsumerRecord?.Topic ?? "";
        if (_reportedConsumeErrors.Add((topic, error.Error.Code)))
        {
            ReceiverLog.TopicError(_logger, _group, topic, error.Error.Code, error.Error.Reason);
        }
    }

    private void SeekBack(PartitionState partition, long offset)
    {
        if (partition.SoughtBackTo < 0 || offset < partition.SoughtBackTo)
        {
            _consumer!.Seek(new TopicPartitionOffset(partition.TopicPartition, offset));
            partition.SoughtBackTo = offset;
        }
    }
}
