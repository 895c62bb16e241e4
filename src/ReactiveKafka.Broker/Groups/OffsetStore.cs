using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// Committed offsets and minimal group records, persisted in <c>&lt;data&gt;/__consumer_offsets/offsets.log</c>.
/// </summary>
/// <remarks>
/// <para>On disk: an append-only sequence of <see cref="OffsetLogRecord"/> frames
/// (<c>int32 length | uint32 CRC32C | payload</c>). The latest record per key wins; tombstones
/// delete. <see cref="Open"/> replays the file, truncates a torn or corrupt tail, and rewrites the
/// file with only live records when most of it is dead (write to a temporary file, fsync, rename).</para>
/// <para>Durability: <see cref="Append"/> enqueues synchronously, in call order, and returns a task
/// that completes once the frames are written and fsync'd and the in-memory view was updated.
/// Callers enqueue while holding their group's lock, so the log order is the group's decision order;
/// a single background flusher writes whatever accumulated (group commit: one fsync per batch).</para>
/// <para>Thread-safety: all members are safe to call concurrently. Reads see only durable records.</para>
/// </remarks>
internal sealed partial class OffsetStore : IAsyncDisposable
{
    /// <summary>The directory name under the broker's data directory.</summary>
    public const string DirectoryName = "__consumer_offsets";

    private const string FileName = "offsets.log";

    private readonly Lock _stateLock = new();
    private readonly Dictionary<string, GroupEntry> _groups = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private FileStream _file;

    private OffsetStore(string directory, FileStream file, ILogger logger)
    {
        Directory = directory;
        _file = file;
        _logger = logger;
    }

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

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
    /// Opens (creating if needed) the store under <paramref name="dataDirectory"/>, replays it,
    /// truncates a torn tail and compacts it when mostly dead.
    /// </summary>
    public static OffsetStore Open(string dataDirectory, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var directory = Path.Combine(dataDirectory, DirectoryName);
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        try
        {
            var store = new OffsetStore(directory, file, logger);
            store.Recover();
            return store;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The state of one group in memory.</summary>
    private sealed class GroupEntry
    {
        public StoredGroup? Group { get; set; }

        public Dictionary<GroupTopicPartition, CommittedOffset> Offsets { get; } = [];
    }

    /// <summary>Applies one record to the in-memory view; the caller holds <see cref="_stateLock"/>.</summary>
    private void Apply(OffsetLogRecord record)
    {
        switch (record)
        {
            case OffsetLogRecord.Commit c:
                Entry(c.GroupId).Offsets[c.Partition] = c.Value;
                break;
            case OffsetLogRecord.OffsetTombstone t when _groups.TryGetValue(t.GroupId, out var entry):
                entry.Offsets.Remove(t.Partition);
                if (entry.Offsets.Count == 0 && entry.Group is null)
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

    /// <summary>The records that rebuild the current state, for compaction.</summary>
    private List<OffsetLogRecord> LiveRecords() =>
    [
        .. _groups.SelectMany(g => (g.Value.Group is { } group ? [new OffsetLogRecord.Group(g.Key, group)] : Array.Empty<OffsetLogRecord>())
            .Concat(g.Value.Offsets.Select(o => (OffsetLogRecord)new OffsetLogRecord.Commit(g.Key, o.Key, o.Value)))),
    ];
}
