using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>Moving the log start: retention and DeleteRecords.</summary>
internal sealed partial class PartitionLog
{
    /// <summary>
    /// DeleteRecords: moves the log start offset to <paramref name="offset"/> (-1 means the high
    /// watermark), persists it, and deletes the segments wholly below it. OFFSET_OUT_OF_RANGE when
    /// the offset is beyond the high watermark; POLICY_VIOLATION when <c>cleanup.policy</c> lacks
    /// <c>delete</c> (Kafka: "Records of partition … can not be deleted due to the configured policy").
    /// Returns the resulting low watermark.
    /// </summary>
    public (ErrorCode Error, long LowWatermark) DeleteRecordsBefore(long offset)
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return (ErrorCode.NotLeaderOrFollower, -1);
            }

            if (!_config.Delete)
            {
                return (ErrorCode.PolicyViolation, LogStartOffset);
            }

            var hw = HighWatermark;
            if (offset == -1)
            {
                offset = hw;
            }

            if (offset < 0 || offset > hw)
            {
                return (ErrorCode.OffsetOutOfRange, LogStartOffset);
            }

            if (offset > LogStartOffset)
            {
                SetLogStartOffsetLocked(offset);
                DeleteOldestSegmentsLocked(CountSegmentsBelowStart(), "DeleteRecords");
            }

            return (ErrorCode.None, LogStartOffset);
        }
    }

    /// <summary>
    /// Deletes the oldest segments whose newest timestamp is older than retention.ms, then the
    /// oldest while the log is larger than retention.bytes — both only when <c>cleanup.policy</c>
    /// contains <c>delete</c> — then any wholly below the log start offset. Never the active
    /// segment, nor one holding offsets at or above the high watermark. Moves the log start offset
    /// to the first remaining segment. Returns the number deleted.
    /// </summary>
    public int ApplyRetention(long nowMs)
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return 0;
            }

            var config = _config;
            var segments = _segments;
            var hw = HighWatermark;
            var deletable = 0;
            while (deletable < segments.Length - 1 && segments[deletable + 1].BaseOffset <= hw)
            {
                deletable++;
            }

            // A compact-only topic is a table: age and size never delete a key's latest value.
            var deletes = config.Delete;
            var count = 0;
            if (deletes && config.RetentionMs >= 0)
            {
                while (count < deletable && nowMs - segments[count].MaxTimestamp > config.RetentionMs)
                {
                    count++;
                }
            }

            var byTime = count;
            if (deletes && config.RetentionBytes >= 0)
            {
                var excess = segments.Skip(count).Sum(s => s.Size) - config.RetentionBytes;
                while (count < deletable && excess - segments[count].Size >= 0)
                {
                    excess -= segments[count].Size;
                    count++;
                }
            }

            count = Math.Max(count, Math.Min(deletable, CountSegmentsBelowStart()));
            if (count == 0)
            {
                return 0;
            }

            var reason = byTime == count ? "retention.ms" : byTime == 0 ? "retention.bytes" : "retention.ms and retention.bytes";
            if (segments[count].BaseOffset > LogStartOffset)
            {
                SetLogStartOffsetLocked(segments[count].BaseOffset);
            }

            DeleteOldestSegmentsLocked(count, reason);
            return count;
        }
    }

    private int CountSegmentsBelowStart()
    {
        var segments = _segments;
        var start = LogStartOffset;
        var count = 0;
        while (count < segments.Length - 1 && segments[count].NextOffset <= start && segments[count + 1].BaseOffset <= start)
        {
            count++;
        }

        return count;
    }

    private void SetLogStartOffsetLocked(long offset)
    {
        Volatile.Write(ref _logStartOffset, offset);
        try
        {
            CheckpointFile.Write(Path.Combine(Directory, CheckpointFile.LogStartOffsetName), offset);
        }
        catch (IOException e)
        {
            // Deleted segments still move the start on the next open; only a DeleteRecords inside
            // a segment could be forgotten, which re-exposes records rather than losing any.
            _logger.LogError(e, "Could not persist the log start offset of {Directory}", Directory);
        }
    }

    private void DeleteOldestSegmentsLocked(int count, string reason)
    {
        if (count <= 0)
        {
            return;
        }

        var segments = _segments;
        _segments = segments[count..];
        for (var i = 0; i < count; i++)
        {
            _logger.LogDebug("Deleting {Segment} ({Reason})", segments[i], reason);
            segments[i].MarkForDeletion();
        }
    }
}
