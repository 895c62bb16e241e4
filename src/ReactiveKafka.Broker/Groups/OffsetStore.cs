using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// Committed offsets and minimal group records, persisted in <c>&lt;data&gt;/__consumer_offsets/offsets.log</c>.
/// </summary>
/// <remarks>
/// <para>On disk: a <see cref="KeyedStateLog{TRecord}"/> of <see cref="OffsetLogRecord"/> payloads. The latest record
/// per group and partition wins; tombstones delete. The log replays it at <see cref="Open"/>, cuts a torn or corrupt
/// tail, and compacts it while the broker runs (every OffsetCommit and TxnOffsetCommit appends), so the file stays
/// proportional to the live offsets, not to the commits ever made.</para>
/// <para>Durability: <see cref="Append"/> enqueues synchronously, in call order, and returns a task that completes once
/// the frames are in the file under the broker's flush policy and the in-memory view was updated. Callers enqueue while
/// holding their group's lock, so the log order is the group's decision order; one background flusher writes whatever
/// accumulated (group commit: one fsync per batch).</para>
/// <para>Thread-safety: all members are safe to call concurrently. Reads see only written records.</para>
/// </remarks>
internal sealed partial class OffsetStore : IAsyncDisposable
{
    /// <summary>The directory name under the broker's data directory.</summary>
    public const string DirectoryName = "__consumer_offsets";

    /// <summary>The log's file name in <see cref="DirectoryName"/>.</summary>
    public const string FileName = "offsets.log";

    private readonly Lock _stateLock = new();
    private readonly Dictionary<string, GroupEntry> _groups = new(StringComparer.Ordinal);
    private KeyedStateLog<OffsetLogRecord> _log = null!;

    /// <summary>The number of records applied so far: each record's position in log order.</summary>
    private long _position;

    private OffsetStore(string directory)
    {
        Directory = directory;
    }

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

    /// <summary>The log underneath (its path, length and compactions, for tests and figures).</summary>
    public KeyedStateLog<OffsetLogRecord> Log => _log;

    /// <summary>The ids of all groups that have offsets or a group record.</summary>
    public IReadOnlyList<string> GroupIds
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _groups.Keys];
            }
        }
    }

    /// <summary>The group's stored protocol type and generation, or null.</summary>
    public StoredGroup? GetGroup(string groupId)
    {
        lock (_stateLock)
        {
            return _groups.GetValueOrDefault(groupId)?.Group;
        }
    }

    /// <summary>Whether the group has any committed offset.</summary>
    public bool HasOffsets(string groupId)
    {
        lock (_stateLock)
        {
            return _groups.TryGetValue(groupId, out var entry) && entry.Offsets.Count > 0;
        }
    }

    /// <summary>One partition's committed offset, or null.</summary>
    public CommittedOffset? GetOffset(string groupId, GroupTopicPartition partition)
    {
        lock (_stateLock)
        {
            return _groups.TryGetValue(groupId, out var entry) ? entry.Offsets.GetValueOrDefault(partition) : null;
        }
    }

    /// <summary>All committed offsets of a group, ordered by topic and partition.</summary>
    public IReadOnlyList<KeyValuePair<GroupTopicPartition, CommittedOffset>> GetOffsets(string groupId)
    {
        lock (_stateLock)
        {
            return _groups.TryGetValue(groupId, out var entry)
                ? [.. entry.Offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition)]
                : [];
        }
    }

    /// <summary>The partitions of <paramref name="topic"/> with offsets, per group.</summary>
    public IReadOnlyList<KeyValuePair<string, GroupTopicPartition>> PartitionsOfTopic(string topic)
    {
        lock (_stateLock)
        {
            return [.. _groups.SelectMany(g => g.Value.Offsets.Keys.Where(p => p.Topic == topic).Select(p => KeyValuePair.Create(g.Key, p)))];
        }
    }

    /// <summary>
    /// Opens (creating if needed) the store under <paramref name="dataDirectory"/>, replays it, cuts a torn tail and
    /// compacts it when over the thresholds of <paramref name="options"/> (default: fsync every write).
    /// </summary>
    public static OffsetStore Open(string dataDirectory, ILogger? logger = null, StateLogOptions? options = null)
    {
        var directory = Path.Combine(dataDirectory, DirectoryName);
        var store = new OffsetStore(directory);
        store._log = KeyedStateLog<OffsetLogRecord>.Open(Path.Combine(directory, FileName), store, options ?? new StateLogOptions(), logger ?? NullLogger.Instance);
        return store;
    }

    /// <summary>
    /// Enqueues <paramref name="records"/> (synchronously, in call order) and returns a task that completes when they are
    /// in the file and visible to readers, or faults when the write failed (also once the store is closed).
    /// </summary>
    public Task Append(params IReadOnlyList<OffsetLogRecord> records) => _log.Append(records);

    /// <summary>Waits for queued writes, then closes the file.</summary>
    public ValueTask DisposeAsync() => _log.DisposeAsync();

    /// <summary>Whether the group has offsets committed in a transaction that has not ended (Kafka's <c>hasPendingOffsetCommitsForTopicPartition</c>).</summary>
    public bool HasPendingTransactionalOffsets(string groupId, GroupTopicPartition? partition = null)
    {
        lock (_stateLock)
        {
            return _groups.TryGetValue(groupId, out var entry)
                && entry.Pending.Values.Any(p => partition is not { } one ? p.Count > 0 : p.ContainsKey(one));
        }
    }

    /// <summary>The state of one group in memory.</summary>
    private sealed class GroupEntry
    {
        public StoredGroup? Group { get; set; }

        public Dictionary<GroupTopicPartition, CommittedOffset> Offsets { get; } = [];

        /// <summary>Where in the log each committed offset was written: a transaction's offsets replace only older ones.</summary>
        public Dictionary<GroupTopicPartition, long> Positions { get; } = [];

        /// <summary>Offsets of transactions still open, per producer id, with where they were written.</summary>
        public Dictionary<long, Dictionary<GroupTopicPartition, (CommittedOffset Value, long Position)>> Pending { get; } = [];

        public bool IsEmpty => Offsets.Count == 0 && Group is null && Pending.Count == 0;
    }

    /// <summary>
    /// Applies one record to the in-memory view; the caller holds <see cref="_stateLock"/>. Records are numbered in log
    /// order (<see cref="_position"/>), which decides between a transaction's offset and a plain commit of the same
    /// partition, as Kafka compares their log offsets.
    /// </summary>
    private void Apply(OffsetLogRecord record)
    {
        var position = ++_position;
        switch (record)
        {
            case OffsetLogRecord.Commit c:
                var committed = Entry(c.GroupId);
                committed.Offsets[c.Partition] = c.Value;
                committed.Positions[c.Partition] = position;
                break;
            case OffsetLogRecord.TransactionalCommit tc:
                var pending = Entry(tc.GroupId).Pending;
                if (!pending.TryGetValue(tc.ProducerId, out var offsets))
                {
                    pending[tc.ProducerId] = offsets = [];
                }

                offsets[tc.Partition] = (tc.Value, position);
                break;
            case OffsetLogRecord.TransactionEnd end when _groups.TryGetValue(end.GroupId, out var ending) && ending.Pending.Remove(end.ProducerId, out var ended):
                foreach (var (partition, (value, at)) in ended)
                {
                    // Kafka's completePendingTxnOffsetCommit: a plain commit written after the transactional one wins.
                    if (end.Committed && (!ending.Positions.TryGetValue(partition, out var existing) || existing < at))
                    {
                        ending.Offsets[partition] = value;
                        ending.Positions[partition] = at;
                    }
                }

                if (ending.IsEmpty)
                {
                    _groups.Remove(end.GroupId);
                }

                break;
            case OffsetLogRecord.OffsetTombstone t when _groups.TryGetValue(t.GroupId, out var entry):
                entry.Offsets.Remove(t.Partition);
                entry.Positions.Remove(t.Partition);
                if (entry.IsEmpty)
                {
                    _groups.Remove(t.GroupId);
                }

                break;
            case OffsetLogRecord.Group g:
                Entry(g.GroupId).Group = g.Value;
                break;
            case OffsetLogRecord.GroupTombstone:
                _groups.Remove(record.GroupId);
                break;
        }
    }

    private GroupEntry Entry(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var entry))
        {
            entry = new GroupEntry();
            _groups.Add(groupId, entry);
        }

        return entry;
    }
}
