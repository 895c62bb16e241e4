using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// The transaction coordinator's persisted state, in <c>&lt;data&gt;/__transaction_state/transactions.log</c>: the
/// single node's stand-in for Kafka's <c>__transaction_state</c> topic.
/// </summary>
/// <remarks>
/// <para>On disk: an append-only sequence of <see cref="TransactionLogRecord"/> frames
/// (<c>int32 length | uint32 CRC32C | payload</c>). The latest record per transactional id wins; a tombstone forgets
/// the id. <see cref="Open"/> replays the file and truncates a torn or corrupt tail (recovery passes in
/// <c>TransactionStore.Recovery.cs</c>).</para>
/// <para>Bounded: whenever the file has grown past <see cref="CompactionMinBytes"/> and at least half of its records
/// are superseded, the flusher rewrites it with only the live records (temporary file, fsync, atomic rename), so a
/// broker running transactions for months keeps a file proportional to its live transactional ids.</para>
/// <para>Durability: <see cref="Append"/> enqueues synchronously, in call order, and returns a task that completes
/// once the frame is written and fsync'd; a single background flusher writes whatever accumulated (group commit: one
/// fsync for every transition waiting). Callers enqueue under their transactional id's lock, so the log order is the
/// coordinator's decision order.</para>
/// <para>Thread-safety: all members are safe to call concurrently. <see cref="Durable"/> sees only durable records.</para>
/// </remarks>
internal sealed partial class TransactionStore : IAsyncDisposable
{
    /// <summary>The directory name under the broker's data directory.</summary>
    public const string DirectoryName = "__transaction_state";

    /// <summary>Below this size the file is never compacted.</summary>
    public const long CompactionMinBytes = 64 * 1024;

    private const string FileName = "transactions.log";

    private readonly Lock _stateLock = new();
    private readonly Dictionary<string, TransactionMetadata> _durable = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private FileStream _file;

    /// <summary>The records in the file (live or superseded): the compaction trigger.</summary>
    private long _recordsInFile;

    private TransactionStore(FileStream file, ILogger logger)
    {
        _file = file;
        _logger = logger;
    }

    /// <summary>The path of the log file.</summary>
    public string Path => _file.Name;

    /// <summary>The file's length after the last flush (tests watch compaction through it).</summary>
    public long Length => Volatile.Read(ref _length);

    /// <summary>How many times the file was rewritten with only its live records since it was opened.</summary>
    public int Compactions => Volatile.Read(ref _compactions);

    /// <summary>The durable metadata of every transactional id, as of the last completed flush.</summary>
    public IReadOnlyList<TransactionMetadata> Durable
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _durable.Values];
            }
        }
    }

    /// <summary>Opens (creating if needed) the store under <paramref name="dataDirectory"/>, replays it and truncates a torn tail.</summary>
    public static TransactionStore Open(string dataDirectory, ILogger? logger = null)
    {
        var directory = System.IO.Path.Combine(dataDirectory, DirectoryName);
        System.IO.Directory.CreateDirectory(directory);
        var file = new FileStream(System.IO.Path.Combine(directory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        try
        {
            var store = new TransactionStore(file, logger ?? NullLogger.Instance);
            store.Recover();
            return store;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Applies one durable record to the view; the caller holds <see cref="_stateLock"/>.</summary>
    private void Apply(TransactionLogRecord record)
    {
        switch (record)
        {
            case TransactionLogRecord.Metadata m:
                _durable[m.TransactionalId] = m.Value;
                break;
            case TransactionLogRecord.Tombstone t:
                _durable.Remove(t.TransactionalId);
                break;
        }
    }

    /// <summary>The records that rebuild the current state; the caller holds <see cref="_stateLock"/>.</summary>
    private List<TransactionLogRecord> LiveRecords() => [.. _durable.Values.Select(m => (TransactionLogRecord)new TransactionLogRecord.Metadata(m))];
}
