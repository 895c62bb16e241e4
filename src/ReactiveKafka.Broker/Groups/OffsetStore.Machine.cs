using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The offset store as its log's state machine: codec, replay and the live records compaction keeps.</summary>
internal sealed partial class OffsetStore : IStateLogMachine<OffsetLogRecord>
{
    /// <inheritdoc />
    int IStateLogMachine<OffsetLogRecord>.MaxPayloadLength => OffsetLogRecord.MaxPayloadLength;

    /// <inheritdoc />
    long IStateLogMachine<OffsetLogRecord>.LiveCount
    {
        get
        {
            lock (_stateLock)
            {
                long count = 0;
                foreach (var entry in _groups.Values)
                {
                    count += (entry.Group is null ? 0 : 1) + entry.Offsets.Count;
                    foreach (var pending in entry.Pending.Values)
                    {
                        count += pending.Count;
                    }
                }

                return count;
            }
        }
    }

    /// <inheritdoc />
    void IStateLogMachine<OffsetLogRecord>.Encode(OffsetLogRecord record, BinaryWriter writer) => record.WritePayload(writer);

    /// <inheritdoc />
    OffsetLogRecord IStateLogMachine<OffsetLogRecord>.Decode(byte[] payload) => OffsetLogRecord.FromPayload(payload);

    /// <inheritdoc />
    void IStateLogMachine<OffsetLogRecord>.Apply(IReadOnlyList<OffsetLogRecord> records)
    {
        lock (_stateLock)
        {
            foreach (var record in records)
            {
                Apply(record);
            }
        }
    }

    /// <summary>
    /// Per group its record, then its committed and pending offsets in their original log order (so a pending offset
    /// still loses to a later plain commit after the rewrite). Offset and group tombstones and transaction ends are gone:
    /// their effect is in the state.
    /// </summary>
    /// <remarks>
    /// Under the lock (on the log's flusher, which waits meanwhile) only the entries are copied; the ordering and the
    /// records are made while the compaction enumerates them, beside the flusher.
    /// </remarks>
    IReadOnlyCollection<OffsetLogRecord> IStateLogMachine<OffsetLogRecord>.LiveRecords()
    {
        lock (_stateLock)
        {
            var groups = new LiveGroup[_groups.Count];
            var index = 0;
            long count = 0;
            foreach (var (id, entry) in _groups)
            {
                var pending = 0;
                foreach (var offsets in entry.Pending.Values)
                {
                    pending += offsets.Count;
                }

                var items = new LiveOffset[entry.Offsets.Count + pending];
                var n = 0;
                foreach (var (partition, value) in entry.Offsets)
                {
                    items[n] = new LiveOffset(entry.Positions.GetValueOrDefault(partition), n, null, partition, value);
                    n++;
                }

                foreach (var (producerId, offsets) in entry.Pending)
                {
                    foreach (var (partition, (value, position)) in offsets)
                    {
                        items[n] = new LiveOffset(position, n, producerId, partition, value);
                        n++;
                    }
                }

                groups[index++] = new LiveGroup(id, entry.Group, items);
                count += (entry.Group is null ? 0 : 1) + items.Length;
            }

            return new LiveSnapshot(groups, (int)count);
        }
    }

    /// <summary>One live offset as copied under the lock; <see cref="Index"/> keeps the sort stable.</summary>
    private readonly record struct LiveOffset(long Position, int Index, long? ProducerId, GroupTopicPartition Partition, CommittedOffset Value);

    private sealed record LiveGroup(string GroupId, StoredGroup? Group, LiveOffset[] Offsets);

    /// <summary>The copied live set; enumerating it sorts each group's offsets by log position and makes the records.</summary>
    private sealed class LiveSnapshot(LiveGroup[] groups, int count) : IReadOnlyCollection<OffsetLogRecord>
    {
        private static readonly Comparison<LiveOffset> ByPosition = (a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Index.CompareTo(b.Index);

        public int Count => count;

        public IEnumerator<OffsetLogRecord> GetEnumerator()
        {
            foreach (var group in groups)
            {
                if (group.Group is { } stored)
                {
                    yield return new OffsetLogRecord.Group(group.GroupId, stored);
                }

                Array.Sort(group.Offsets, ByPosition);
                foreach (var offset in group.Offsets)
                {
                    yield return offset.ProducerId is { } producerId
                        ? new OffsetLogRecord.TransactionalCommit(group.GroupId, producerId, offset.Partition, offset.Value)
                        : new OffsetLogRecord.Commit(group.GroupId, offset.Partition, offset.Value);
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
