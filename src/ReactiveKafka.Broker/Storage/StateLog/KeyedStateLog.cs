using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.StateLog;

/// <summary>
/// A durable keyed state log: one append-only file of CRC-framed records (<see cref="StateLogFrame"/>) whose replay
/// builds a store's state, kept bounded by compaction while it runs. The broker's <c>__consumer_offsets</c> and
/// <c>__transaction_state</c> stores both sit on it.
/// </summary>
/// <typeparam name="TRecord">The owning store's record type; <see cref="IStateLogMachine{TRecord}"/> gives its meaning.</typeparam>
/// <remarks>
/// <para>Writes: <see cref="Append"/> enqueues synchronously, in call order, and returns a task that completes once the
/// frames are written (and fsync'd under <see cref="FlushPolicy.Durable"/>) and applied to the owner's state. One
/// background flusher writes whatever accumulated: group commit, one fsync per batch of writers.</para>
/// <para>Recovery (<see cref="Open"/>): a temporary file of a compaction that did not reach its rename is deleted (the
/// log is then complete); the intact frames are replayed up to the first torn, oversized, CRC-failing or undecodable
/// one, and the file is cut there.</para>
/// <para>Compaction: once the file is larger than <see cref="StateLogOptions.CompactionMinBytes"/> and at least
/// <see cref="StateLogOptions.CompactionMinDeadRatio"/> of its records are superseded or deleted, the flusher (between
/// batches) takes the live records, which are exactly what the file holds at that length. A task beside the flusher
/// writes them to <c>&lt;path&gt;.compacting</c> and fsyncs it while appends keep going to the log, so commits do not
/// wait for the rewrite. Then the flusher, between batches again, copies the frames appended since the snapshot to the
/// temporary file (replaying snapshot then tail gives the same state as the log), fsyncs it, renames it over the log
/// and fsyncs the directory. Until the rename the old log is complete; a kill at any step leaves either the complete
/// old file (and maybe a temporary one, deleted on open) or the complete new one. Small live sets
/// (<see cref="StateLogOptions.ConcurrentCompactionMinRecords"/>) and the compaction at open are rewritten inline.</para>
/// <para>Thread-safety: all members are safe to call concurrently.</para>
/// </remarks>
internal sealed partial class KeyedStateLog<TRecord> : IAsyncDisposable
{
    /// <summary>The suffix of the temporary file a compaction writes before its rename.</summary>
    public const string CompactingSuffix = ".compacting";

    private readonly IStateLogMachine<TRecord> _machine;
    private readonly StateLogOptions _options;
    private readonly ILogger _logger;
    private FileStream _file;

    private KeyedStateLog(string path, FileStream file, IStateLogMachine<TRecord> machine, StateLogOptions options, ILogger logger)
    {
        Path = path;
        _file = file;
        _machine = machine;
        _options = options;
        _logger = logger;
    }

    /// <summary>The path of the log file.</summary>
    public string Path { get; }

    /// <summary>The file's length after the last completed write or compaction.</summary>
    public long Length => Volatile.Read(ref _length);

    /// <summary>How many records the file holds, live or superseded.</summary>
    public long RecordsInFile => Volatile.Read(ref _recordsInFile);

    /// <summary>How many times the file was rewritten with only its live records since it was opened.</summary>
    public int Compactions => Volatile.Read(ref _compactions);

    /// <summary>How long the last compaction took (temporary file, fsync, rename, directory fsync), or zero before the first.</summary>
    public TimeSpan LastCompactionDuration => TimeSpan.FromTicks(Volatile.Read(ref _lastCompactionTicks));

    /// <summary>
    /// Opens (creating if needed) the log at <paramref name="path"/>, replays it into <paramref name="machine"/>, cuts a
    /// torn tail and compacts it when it is over the thresholds.
    /// </summary>
    public static KeyedStateLog<TRecord> Open(string path, IStateLogMachine<TRecord> machine, StateLogOptions options, ILogger logger)
    {
        options.Validate();
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        var log = new KeyedStateLog<TRecord>(path, file, machine, options, logger);
        try
        {
            log.Recover();
            log.StartIntervalFlushes();
            return log;
        }
        catch
        {
            log._file.Dispose();
            throw;
        }
    }

    /// <summary>The frame of one record.</summary>
    public byte[] Frame(TRecord record)
    {
        using var writer = new FrameWriter<TRecord>(_machine);
        return writer.Encode(record).ToArray();
    }
}
