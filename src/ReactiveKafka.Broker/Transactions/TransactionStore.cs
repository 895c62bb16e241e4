using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// The transaction coordinator's persisted state, in <c>&lt;data&gt;/__transaction_state/transactions.log</c>: the
/// single node's stand-in for Kafka's <c>__transaction_state</c> topic.
/// </summary>
/// <remarks>
/// <para>On disk: a <see cref="KeyedStateLog{TRecord}"/> of <see cref="TransactionLogRecord"/> payloads. The latest
/// record per transactional id wins; a tombstone forgets the id. The log replays it at <see cref="Open"/>, cuts a torn
/// or corrupt tail and compacts it while the broker runs, so a broker running transactions for months keeps a file
/// proportional to its live transactional ids.</para>
/// <para>Durability: <see cref="Append"/> enqueues synchronously, in call order, and returns a task that completes
/// once the frame is in the file under the broker's flush policy; a single background flusher writes whatever
/// accumulated (group commit: one fsync for every transition waiting). Callers enqueue under their transactional id's
/// lock, so the log order is the coordinator's decision order.</para>
/// <para>Thread-safety: all members are safe to call concurrently. <see cref="Durable"/> sees only written records.</para>
/// </remarks>
internal sealed class TransactionStore : IAsyncDisposable, IStateLogMachine<TransactionLogRecord>
{
    /// <summary>The directory name under the broker's data directory.</summary>
    public const string DirectoryName = "__transaction_state";

    /// <summary>Below this size the file is never compacted (the default threshold).</summary>
    public const long CompactionMinBytes = StateLogOptions.DefaultCompactionMinBytes;

    private const string FileName = "transactions.log";

    private readonly Lock _stateLock = new();
    private readonly Dictionary<string, TransactionMetadata> _durable = new(StringComparer.Ordinal);
    private KeyedStateLog<TransactionLogRecord> _log = null!;

    private TransactionStore()
    {
    }

    /// <summary>The path of the log file.</summary>
    public string Path => _log.Path;

    /// <summary>The file's length after the last flush (tests watch compaction through it).</summary>
    public long Length => _log.Length;

    /// <summary>How many times the file was rewritten with only its live records since it was opened.</summary>
    public int Compactions => _log.Compactions;

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

    /// <inheritdoc />
    int IStateLogMachine<TransactionLogRecord>.MaxPayloadLength => TransactionLogRecord.MaxPayloadLength;

    /// <inheritdoc />
    long IStateLogMachine<TransactionLogRecord>.LiveCount
    {
        get
        {
            lock (_stateLock)
            {
                return _durable.Count;
            }
        }
    }

    /// <summary>
    /// Opens (creating if needed) the store under <paramref name="dataDirectory"/>, replays it, cuts a torn tail and
    /// compacts it when over the thresholds of <paramref name="options"/> (default: fsync every write).
    /// </summary>
    public static TransactionStore Open(string dataDirectory, ILogger? logger = null, StateLogOptions? options = null)
    {
        var store = new TransactionStore();
        store._log = KeyedStateLog<TransactionLogRecord>.Open(
            System.IO.Path.Combine(dataDirectory, DirectoryName, FileName), store, options ?? new StateLogOptions(), logger ?? NullLogger.Instance);
        return store;
    }

    /// <summary>
    /// Enqueues <paramref name="record"/> (synchronously, in call order) and returns a task that completes when it is
    /// in the file, or faults when the write failed (<see cref="ObjectDisposedException"/> once the store is closed).
    /// </summary>
    public Task Append(TransactionLogRecord record) => _log.Append([record]);

    /// <summary>Waits for queued writes, then closes the file.</summary>
    public ValueTask DisposeAsync() => _log.DisposeAsync();

    /// <inheritdoc />
    void IStateLogMachine<TransactionLogRecord>.Encode(TransactionLogRecord record, BinaryWriter writer) => record.WritePayload(writer);

    /// <inheritdoc />
    TransactionLogRecord IStateLogMachine<TransactionLogRecord>.Decode(byte[] payload) => TransactionLogRecord.FromPayload(payload);

    /// <inheritdoc />
    void IStateLogMachine<TransactionLogRecord>.Apply(IReadOnlyList<TransactionLogRecord> records)
    {
        lock (_stateLock)
        {
            foreach (var record in records)
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
        }
    }

    /// <inheritdoc />
    IReadOnlyCollection<TransactionLogRecord> IStateLogMachine<TransactionLogRecord>.LiveRecords()
    {
        lock (_stateLock)
        {
            return [.. _durable.Values.Select(m => (TransactionLogRecord)new TransactionLogRecord.Metadata(m))];
        }
    }
}
