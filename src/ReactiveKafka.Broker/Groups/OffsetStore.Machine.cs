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
    IReadOnlyList<OffsetLogRecord> IStateLogMachine<OffsetLogRecord>.LiveRecords()
    {
        lock (_stateLock)
        {
            return
            [
                .. _groups.SelectMany(g => (g.Value.Group is { } group ? [new OffsetLogRecord.Group(g.Key, group)] : Array.Empty<OffsetLogRecord>())
                    .Concat(g.Value.Offsets.Select(o => (Position: g.Value.Positions.GetValueOrDefault(o.Key), Record: (OffsetLogRecord)new OffsetLogRecord.Commit(g.Key, o.Key, o.Value)))
                        .Concat(g.Value.Pending.SelectMany(p => p.Value.Select(o => (o.Value.Position, Record: (OffsetLogRecord)new OffsetLogRecord.TransactionalCommit(g.Key, p.Key, o.Key, o.Value.Value)))))
                        .OrderBy(r => r.Position)
                        .Select(r => r.Record))),
            ];
        }
    }
}
