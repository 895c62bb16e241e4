using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Owns the data directory: every topic's metadata and its partition logs, the periodic retention
/// pass, and closing everything.
/// </summary>
/// <remarks>
/// <para>On disk, under <c>&lt;data&gt;</c>: <c>__topics/&lt;name&gt;.json</c> per topic (see
/// <see cref="TopicMetadataFile"/>) and <c>&lt;name&gt;-&lt;partition&gt;/</c> per partition (see
/// <see cref="PartitionLog"/>). A topic exists exactly when its metadata file does: creation
/// writes the partition directories first and the metadata last; deletion removes the metadata
/// first. Partition directories left without metadata by a crash are renamed
/// <c>…-stray</c> at open (as Kafka does with stray logs), never deleted silently.</para>
/// <para>Compacted topics are cleaned by a <see cref="Cleaning.LogCleaner"/> over all the store's logs, when the
/// store is opened with cleaner options.</para>
/// <para>Thread-safety: lookups (<see cref="GetPartition"/>, <see cref="GetTopic(string)"/>,
/// <see cref="ListTopics"/>) are lock-free over a concurrent map of immutable snapshots; admin
/// operations are serialized by one lock.</para>
/// </remarks>
internal sealed partial class TopicStore : IAsyncDisposable
{
    /// <summary>The directory, under the data directory, of the topic metadata files.</summary>
    public const string MetadataDirectoryName = "__topics";

    private readonly Lock _adminLock = new();
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly string _metadataDirectory;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private ITimer? _retentionTimer;
    private Cleaning.LogCleaner? _cleaner;
    private int _retentionRunning;
    private bool _disposed;

    private TopicStore(string dataDirectory, LogConfig defaults, int defaultPartitions, TimeProvider time, ILoggerFactory loggerFactory)
    {
        DataDirectory = dataDirectory;
        DefaultConfig = defaults;
        DefaultPartitions = defaultPartitions;
        _metadataDirectory = Path.Combine(dataDirectory, MetadataDirectoryName);
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<TopicStore>();
    }

    // Immutable per version: admin operations publish a new instance.
    private sealed record TopicState(TopicInfo Info, PartitionLog[] Partitions);

    /// <summary>The data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The broker-wide log config that topic configs override.</summary>
    public LogConfig DefaultConfig { get; }

    /// <summary>The partition count used when a request asks for -1 (Kafka's <c>num.partitions</c>).</summary>
    public int DefaultPartitions { get; }

    /// <summary>
    /// Opens the data directory, loading every topic and recovering its partition logs, and starts
    /// the retention pass every <paramref name="retentionCheckInterval"/> (Kafka's
    /// <c>log.retention.check.interval.ms</c>, 5 minutes by default; <see cref="Timeout.InfiniteTimeSpan"/> disables it)
    /// and, given <paramref name="cleaner"/>, the log cleaner of compacted topics.
    /// </summary>
    public static TopicStore Open(
        string dataDirectory,
        LogConfig defaults,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        int defaultPartitions = 1,
        TimeSpan? retentionCheckInterval = null,
        Cleaning.CleanerOptions? cleaner = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPartitions, 1);
        var store = new TopicStore(Path.GetFullPath(dataDirectory), defaults, defaultPartitions, time, loggerFactory);
        Directory.CreateDirectory(store._metadataDirectory);
        store.Load();
        var interval = retentionCheckInterval ?? TimeSpan.FromMinutes(5);
        if (interval != Timeout.InfiniteTimeSpan)
        {
            store._retentionTimer = time.CreateTimer(static s => ((TopicStore)s!).RunRetentionPass(), store, interval, interval);
        }

        if (cleaner is not null)
        {
            store._cleaner = new Cleaning.LogCleaner(cleaner, () => store._topics.Values.SelectMany(t => t.Partitions), time,
                loggerFactory.CreateLogger<Cleaning.LogCleaner>());
            store._cleaner.Start();
        }

        return store;
    }

    /// <summary>The log cleaner, or null when the store was opened without one.</summary>
    internal Cleaning.LogCleaner? Cleaner => _cleaner;

    /// <summary>A topic by name, or null.</summary>
    public TopicInfo? GetTopic(string name) => _topics.TryGetValue(name, out var t) ? t.Info : null;

    /// <summary>A partition's log, or null when the topic or partition does not exist.</summary>
    public PartitionLog? GetPartition(string topic, int partition) =>
        _topics.TryGetValue(topic, out var t) && (uint)partition < (uint)t.Partitions.Length ? t.Partitions[partition] : null;

    /// <summary>
    /// Runs retention over every partition now (the timer calls this) and checkpoints each log's
    /// recovery point. Returns the number of segments deleted. Overlapping calls skip.
    /// </summary>
    public int RunRetentionPass()
    {
        if (Interlocked.Exchange(ref _retentionRunning, 1) == 1)
        {
            return 0;
        }

        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var deleted = 0;
            foreach (var topic in _topics.Values)
            {
                foreach (var log in topic.Partitions)
                {
                    try
                    {
                        deleted += log.ApplyRetention(now);
                        log.ExpireProducers(now);
                        log.CheckpointRecoveryPoint();
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                    {
                        _logger.LogError(e, "Retention of {Log} failed", log.Directory);
                    }
                }
            }

            return deleted;
        }
        finally
        {
            Volatile.Write(ref _retentionRunning, 0);
        }
    }

    /// <summary>Stops the retention timer and the cleaner, and closes every log (flush, checkpoints).</summary>
    public async ValueTask DisposeAsync()
    {
        TopicState[] topics;
        lock (_adminLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _retentionTimer?.Dispose();
            _cleaner?.Dispose();
            topics = [.. _topics.Values];
            _topics.Clear();
            _collisionForms.Clear();
            _namesById.Clear();
            Interlocked.Increment(ref _changes);
        }

        foreach (var log in topics.SelectMany(t => t.Partitions))
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string MetadataPath(string name) => Path.Combine(_metadataDirectory, name + ".json");

    private string PartitionDirectory(string topic, int partition) =>
        Path.Combine(DataDirectory, topic + "-" + partition.ToString(CultureInfo.InvariantCulture));

    private PartitionLog OpenPartition(string topic, int partition, LogConfig config) =>
        PartitionLog.Open(PartitionDirectory(topic, partition), config, _time,
            _loggerFactory.CreateLogger($"{typeof(PartitionLog).FullName}.{topic}-{partition}"));

    // Loads every topic, then sets aside partition directories that belong to none.
    private void Load()
    {
        foreach (var file in Directory.EnumerateFiles(_metadataDirectory, "*.tmp"))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.EnumerateFiles(_metadataDirectory, "*.json"))
        {
            if (TopicMetadataFile.Read(file, out var problem) is not { } content ||
                content.Name != Path.GetFileNameWithoutExtension(file))
            {
                _logger.LogError("Ignoring topic metadata {File}: {Problem}", file, problem ?? "name does not match the file");
                continue;
            }

            var error = LogConfig.FromTopicConfigs(content.Configs, DefaultConfig, out var config);
            if (error is not null)
            {
                _logger.LogError("Topic {Topic} has an invalid stored config ({Error}); using the defaults", content.Name, error);
                config = DefaultConfig;
            }

            var partitions = new PartitionLog[content.PartitionCount];
            for (var p = 0; p < partitions.Length; p++)
            {
                partitions[p] = OpenPartition(content.Name, p, config);
            }

            var info = new TopicInfo(content.Name, content.TopicId, content.PartitionCount, content.Configs, config);
            Publish(new TopicState(info, partitions));
        }

        foreach (var directory in Directory.EnumerateDirectories(DataDirectory))
        {
            var name = Path.GetFileName(directory);
            if (name.EndsWith("-delete", StringComparison.Ordinal))
            {
                TryDeleteDirectory(directory); // A deletion that a crash interrupted.
                continue;
            }

            var dash = name.LastIndexOf('-');
            if (name == MetadataDirectoryName || dash <= 0 ||
                !int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
            {
                continue;
            }

            if (!_topics.TryGetValue(name[..dash], out var topic) || partition >= topic.Partitions.Length)
            {
                _logger.LogWarning("Partition directory {Directory} belongs to no topic; renaming it to -stray", directory);
                try
                {
                    Directory.Move(directory, directory + "-stray");
                }
                catch (IOException e)
                {
                    _logger.LogWarning(e, "Could not rename {Directory}; it stays unused", directory);
                }
            }
        }

        _logger.LogInformation("Loaded {Count} topics from {Directory}", _topics.Count, DataDirectory);
    }

    private void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Could not delete {Directory}", directory);
        }
    }
}
