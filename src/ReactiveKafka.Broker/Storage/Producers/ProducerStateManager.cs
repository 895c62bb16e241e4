using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Producers;

/// <summary>A transaction of one producer that ended in a partition (Kafka's <c>CompletedTxn</c>).</summary>
/// <param name="ProducerId">The producer.</param>
/// <param name="FirstOffset">The offset of its first batch in the partition.</param>
/// <param name="LastOffset">The offset of its marker.</param>
/// <param name="IsAborted">Whether the marker was ABORT.</param>
internal readonly record struct CompletedTxn(long ProducerId, long FirstOffset, long LastOffset, bool IsAborted);

/// <summary>
/// The producer state of one partition (Kafka's <c>ProducerStateManager</c>): per producer id its epoch, last
/// <see cref="ProducerStateEntry.BatchesRetained"/> batches and ongoing transaction; the transactions not yet
/// decided (or decided beyond the high watermark), which bound the last stable offset.
/// </summary>
/// <remarks>
/// <para>Validation follows Kafka's <c>ProducerAppendInfo</c> for client appends: a retry of one of the last 5 batches
/// (same epoch, same sequence range) is a duplicate answered with its original offsets; an epoch below the current one is
/// INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0 and the same epoch must continue the last sequence, else
/// OUT_OF_ORDER_SEQUENCE_NUMBER, except for a producer id the partition has no state for (KIP-360: its records may have
/// gone with retention), which may start at any sequence; a non-transactional batch during the producer's transaction
/// is INVALID_TXN_STATE; a marker of an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED.</para>
/// <para>Thread-safety: every method but <see cref="LastStableOffset"/> runs under the owning partition's write lock.
/// <see cref="LastStableOffset"/> reads an immutable array published after each transaction change, so fetches take
/// no lock.</para>
/// </remarks>
internal sealed class ProducerStateManager
{
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];
    private readonly SortedDictionary<long, long> _ongoing = []; // first offset -> producer id
    private readonly List<CompletedTxn> _unreplicated = [];
    private volatile TxnSpan[] _unstable = [];

    /// <summary>An offset range that holds the last stable offset back while its last offset is not below the high watermark.</summary>
    private readonly record struct TxnSpan(long First, long Last);

    /// <summary>The partition name, for messages.</summary>
    public string Partition { get; }

    /// <summary>Creates an empty state for <paramref name="partition"/>.</summary>
    public ProducerStateManager(string partition) => Partition = partition;

    /// <summary>How many producer ids have state here.</summary>
    public int Count => _producers.Count;

    /// <summary>Whether any transaction is ongoing.</summary>
    public bool HasOngoingTransactions => _ongoing.Count > 0;

    /// <summary>The state of <paramref name="producerId"/>, or null.</summary>
    public ProducerStateEntry? Get(long producerId) => _producers.GetValueOrDefault(producerId);

    /// <summary>Every producer's state (write lock held while enumerating).</summary>
    public IReadOnlyCollection<ProducerStateEntry> Entries => _producers.Values;

    /// <summary>
    /// The last stable offset for a high watermark of <paramref name="highWatermark"/>: the first offset of the earliest
    /// transaction that is undecided, or decided by a marker not yet below the high watermark; the high watermark when
    /// none. Lock-free.
    /// </summary>
    public long LastStableOffset(long highWatermark)
    {
        var lso = highWatermark;
        foreach (var span in _unstable)
        {
            if (span.Last >= highWatermark && span.First < lso)
            {
                lso = span.First;
            }
        }

        return lso;
    }

    /// <summary>The first offset of the earliest undecided transaction, or null (Kafka's <c>firstUndecidedOffset</c>).</summary>
    public long? FirstUndecidedOffset => _ongoing.Count == 0 ? null : _ongoing.Keys.First();

    /// <summary>
    /// Validates one batch a client produced, to be given offsets from <paramref name="firstOffset"/>, against the state
    /// as updated by the batches before it in the same append (<paramref name="pending"/>, which this adds to). Returns
    /// <see cref="ErrorCode.None"/> with <paramref name="duplicate"/> set when the batch is a retry of one already
    /// appended: the append must then write nothing and answer with the duplicate's offsets.
    /// </summary>
    public ErrorCode ValidateClientBatch(ref List<ProducerStateEntry>? pending, in RecordBatchHeader header, long firstOffset,
        out BatchMetadata? duplicate, out string? message)
    {
        var producerId = header.ProducerId;
        var lastSequence = BatchMetadata.LastSequenceOf(header.BaseSequence, header.LastOffsetDelta);
        var current = Get(producerId);
        duplicate = current?.FindDuplicate(header.ProducerEpoch, header.BaseSequence, lastSequence);
        message = null;
        if (duplicate is not null)
        {
            return ErrorCode.None;
        }

        var updated = PendingFor(ref pending, producerId, current);
        var epoch = header.ProducerEpoch;
        if (epoch < updated.Epoch)
        {
            message = $"Epoch of producer {producerId} at offset {firstOffset} in {Partition} is {epoch}, which is smaller than the last seen epoch {updated.Epoch}";
            return ErrorCode.InvalidProducerEpoch;
        }

        if (epoch != updated.Epoch)
        {
            if (header.BaseSequence != 0 && updated.Epoch != ProducerStateEntry.NoEpoch)
            {
                message = $"Invalid sequence number for new epoch of producer {producerId} at offset {firstOffset} in partition {Partition}: {epoch} (request epoch), {header.BaseSequence} (seq. number), {updated.Epoch} (current producer epoch)";
                return ErrorCode.OutOfOrderSequenceNumber;
            }
        }
        else
        {
            // A producer id without a known epoch here (new, or all its records gone with retention) may continue at
            // any sequence (KIP-360); otherwise the batch must follow the last one.
            var last = updated.BatchCount > 0 ? updated.LastSequence : -1;
            if ((current?.Epoch ?? ProducerStateEntry.NoEpoch) != ProducerStateEntry.NoEpoch && !BatchMetadata.InSequence(last, header.BaseSequence))
            {
                message = $"Out of order sequence number for producer {producerId} at offset {firstOffset} in partition {Partition}: {header.BaseSequence} (incoming seq. number), {last} (current end sequence number)";
                return ErrorCode.OutOfOrderSequenceNumber;
            }
        }

        var lastOffset = firstOffset + header.LastOffsetDelta;
        if (updated.CurrentTxnFirstOffset is not null && !header.IsTransactional)
        {
            message = $"Expected transactional write from producer {producerId} at offset {firstOffset} in partition {Partition}";
            return ErrorCode.InvalidTxnState;
        }

        updated.AddBatch(epoch, new BatchMetadata(header.BaseSequence, lastSequence, firstOffset, lastOffset, header.MaxTimestamp));
        if (updated.CurrentTxnFirstOffset is null && header.IsTransactional)
        {
            updated.CurrentTxnFirstOffset = firstOffset;
        }

        return ErrorCode.None;
    }

    /// <summary>
    /// Validates a transaction marker of <paramref name="producerId"/> (Kafka's <c>appendEndTxnMarker</c>) to be written at
    /// <paramref name="offset"/>, adding the updated state to <paramref name="pending"/>; <paramref name="completed"/> is
    /// the transaction it ends, null when the producer wrote nothing in this partition since its last marker.
    /// </summary>
    public ErrorCode ValidateMarker(ref List<ProducerStateEntry>? pending, long producerId, short epoch, int coordinatorEpoch, bool commit,
        long offset, long timestamp, out CompletedTxn? completed, out string? message)
    {
        completed = null;
        message = null;
        var updated = PendingFor(ref pending, producerId, Get(producerId));
        if (epoch < updated.Epoch)
        {
            message = $"Epoch of producer {producerId} at offset {offset} in {Partition} is {epoch}, which is smaller than the last seen epoch {updated.Epoch}";
            return ErrorCode.InvalidProducerEpoch;
        }

        if (updated.CoordinatorEpoch > coordinatorEpoch)
        {
            message = $"Invalid coordinator epoch for producerId {producerId} at offset {offset} in partition {Partition}: {coordinatorEpoch} (zombie), {updated.CoordinatorEpoch} (current)";
            return ErrorCode.TransactionCoordinatorFenced;
        }

        if (updated.CurrentTxnFirstOffset is { } first)
        {
            completed = new CompletedTxn(producerId, first, offset, !commit);
        }

        MarkerUpdate(updated, epoch, coordinatorEpoch, timestamp);
        return ErrorCode.None;
    }

    /// <summary>
    /// Applies what an append validated (after its bytes were written), and the transactions its markers completed.
    /// <paramref name="highWatermark"/> prunes completed transactions already below it.
    /// </summary>
    public void Commit(List<ProducerStateEntry>? pending, ReadOnlySpan<CompletedTxn> completed, long highWatermark)
    {
        if (pending is null)
        {
            return;
        }

        var changed = false;
        foreach (var entry in pending)
        {
            var old = Get(entry.ProducerId);
            _producers[entry.ProducerId] = entry;
            if (old?.CurrentTxnFirstOffset is null && entry.CurrentTxnFirstOffset is { } started)
            {
                _ongoing[started] = entry.ProducerId;
                changed = true;
            }
        }

        foreach (var txn in completed)
        {
            _ongoing.Remove(txn.FirstOffset);
            _unreplicated.Add(txn);
            changed = true;
        }

        if (changed)
        {
            Publish(highWatermark);
        }
    }

    /// <summary>
    /// Replays one stored batch while rebuilding state from the log (no validation, as Kafka's replication origin);
    /// <paramref name="marker"/> is the control record of a control batch (null for data, or an empty control batch).
    /// Returns the transaction a marker completed.
    /// </summary>
    public CompletedTxn? Replay(in RecordBatchHeader header, ControlRecord? marker)
    {
        if (!header.HasProducerId)
        {
            return null;
        }

        if (!_producers.TryGetValue(header.ProducerId, out var entry))
        {
            _producers[header.ProducerId] = entry = new ProducerStateEntry(header.ProducerId);
        }

        CompletedTxn? completed = null;
        if (header.IsControl)
        {
            if (marker is not { } m || m.Type is not (ControlRecordType.Commit or ControlRecordType.Abort))
            {
                return null;
            }

            if (entry.CurrentTxnFirstOffset is { } first)
            {
                completed = new CompletedTxn(header.ProducerId, first, header.BaseOffset, m.Type == ControlRecordType.Abort);
                _ongoing.Remove(first);
            }

            MarkerUpdate(entry, header.ProducerEpoch, m.CoordinatorEpoch, header.MaxTimestamp);
        }
        else
        {
            var lastSequence = BatchMetadata.LastSequenceOf(header.BaseSequence, header.LastOffsetDelta);
            entry.AddBatch(header.ProducerEpoch, new BatchMetadata(header.BaseSequence, lastSequence, header.BaseOffset, header.LastOffset, header.MaxTimestamp));
            if (entry.CurrentTxnFirstOffset is null && header.IsTransactional)
            {
                entry.CurrentTxnFirstOffset = header.BaseOffset;
                _ongoing[header.BaseOffset] = header.ProducerId;
            }
        }

        return completed;
    }

    /// <summary>Loads one entry (from a snapshot).</summary>
    public void Load(ProducerStateEntry entry)
    {
        _producers[entry.ProducerId] = entry;
        if (entry.CurrentTxnFirstOffset is { } first)
        {
            _ongoing[first] = entry.ProducerId;
        }
    }

    /// <summary>Publishes the transaction spans after a load or replay (everything then lies below the high watermark but the ongoing ones).</summary>
    public void Publish(long highWatermark)
    {
        _unreplicated.RemoveAll(t => t.LastOffset < highWatermark);
        var spans = new List<TxnSpan>(_ongoing.Count + _unreplicated.Count);
        spans.AddRange(_ongoing.Keys.Select(first => new TxnSpan(first, long.MaxValue)));
        spans.AddRange(_unreplicated.Select(t => new TxnSpan(t.FirstOffset, t.LastOffset)));
        _unstable = [.. spans];
    }

    /// <summary>
    /// The last stable offset recorded with an aborted transaction in the index (Kafka's <c>lastStableOffset(completedTxn)</c>):
    /// the first offset of the next undecided transaction of another producer, else one past the marker.
    /// </summary>
    public long StableOffsetAfter(in CompletedTxn txn)
    {
        foreach (var (first, producerId) in _ongoing)
        {
            if (producerId != txn.ProducerId)
            {
                return first;
            }
        }

        return txn.LastOffset + 1;
    }

    /// <summary>
    /// Forgets producers idle for <paramref name="expirationMs"/> (their last timestamp that old) without an ongoing
    /// transaction, as Kafka's <c>removeExpiredProducers</c>. Returns how many.
    /// </summary>
    public int RemoveExpired(long nowMs, long expirationMs)
    {
        List<long>? expired = null;
        foreach (var entry in _producers.Values)
        {
            if (entry.CurrentTxnFirstOffset is null && nowMs - entry.LastTimestamp >= expirationMs)
            {
                (expired ??= []).Add(entry.ProducerId);
            }
        }

        foreach (var id in expired ?? [])
        {
            _producers.Remove(id);
        }

        return expired?.Count ?? 0;
    }

    /// <summary>Forgets everything (a rebuild starts over).</summary>
    public void Clear()
    {
        _producers.Clear();
        _ongoing.Clear();
        _unreplicated.Clear();
        _unstable = [];
    }

    private static void MarkerUpdate(ProducerStateEntry entry, short epoch, int coordinatorEpoch, long timestamp)
    {
        // Kafka's update(epoch, coordinatorEpoch, timestamp): a new epoch forgets the batches, the same one keeps them
        // (the producer's sequence goes on across its transactions).
        entry.UpdateEpoch(epoch);
        entry.CoordinatorEpoch = coordinatorEpoch;
        entry.CurrentTxnFirstOffset = null;
        entry.LastTimestamp = timestamp;
    }

    private static ProducerStateEntry PendingFor(ref List<ProducerStateEntry>? pending, long producerId, ProducerStateEntry? current)
    {
        if (pending is not null)
        {
            foreach (var entry in pending)
            {
                if (entry.ProducerId == producerId)
                {
                    return entry;
                }
            }
        }

        var updated = current?.Clone() ?? new ProducerStateEntry(producerId);
        (pending ??= []).Add(updated);
        return updated;
    }
}
