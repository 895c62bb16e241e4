using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>What the cleaner does with a batch because of transactions.</summary>
internal enum TransactionVerdict
{
    /// <summary>Not transactional, or committed: compacted like any batch.</summary>
    Keep,

    /// <summary>Data of an aborted transaction: its records are removed.</summary>
    AbortedData,

    /// <summary>A marker that must stay (its transaction's batches were met in this clean).</summary>
    KeepMarker,

    /// <summary>A marker whose transaction has no batches left: removed once its delete horizon passed.</summary>
    RemovableMarker,
}

/// <summary>
/// Follows the transactions of the batches a clean reads in offset order (Kafka's <c>CleanedTransactionMetadata</c>):
/// a transactional batch of a producer whose aborted transaction (from the aborted-transaction indexes) has begun is
/// aborted data; an ABORT or COMMIT marker can go once no batch of its transaction was met (all were removed by an
/// earlier clean), after its delete horizon.
/// </summary>
/// <remarks>
/// Not thread-safe; one per pass over the batches. Memory: the aborted transactions of the cleaned range plus one
/// entry per producer with a transaction in progress at the read position.
/// </remarks>
internal sealed class AbortedTransactionTracker(IReadOnlyList<AbortedTxn> aborted)
{
    private readonly Queue<AbortedTxn> _pending = new(aborted.OrderBy(a => a.FirstOffset));
    private readonly Dictionary<long, (AbortedTxn Txn, bool Observed)> _ongoingAborted = [];
    private readonly HashSet<long> _ongoingCommitted = [];

    /// <summary>The verdict on a data batch (call for every batch, in offset order).</summary>
    public TransactionVerdict OnDataBatch(in RecordBatchHeader header)
    {
        ConsumeUpTo(header.LastOffset);
        if (!header.IsTransactional)
        {
            return TransactionVerdict.Keep;
        }

        if (_ongoingAborted.TryGetValue(header.ProducerId, out var txn))
        {
            _ongoingAborted[header.ProducerId] = (txn.Txn, true);
            return TransactionVerdict.AbortedData;
        }

        _ongoingCommitted.Add(header.ProducerId);
        return TransactionVerdict.Keep;
    }

    /// <summary>
    /// The verdict on a control batch whose marker type is <paramref name="type"/> (null when it is empty or unreadable);
    /// <paramref name="retained"/> is the aborted transaction to keep in the cleaned segment's index with a kept ABORT.
    /// </summary>
    public TransactionVerdict OnControlBatch(in RecordBatchHeader header, ControlRecordType? type, out AbortedTxn? retained)
    {
        ConsumeUpTo(header.LastOffset);
        retained = null;
        switch (type)
        {
            case ControlRecordType.Abort:
                if (_ongoingAborted.Remove(header.ProducerId, out var txn) && txn.Observed)
                {
                    retained = txn.Txn;
                    return TransactionVerdict.KeepMarker;
                }

                return TransactionVerdict.RemovableMarker;
            case ControlRecordType.Commit:
                return _ongoingCommitted.Remove(header.ProducerId) ? TransactionVerdict.KeepMarker : TransactionVerdict.RemovableMarker;
            case null:
                return TransactionVerdict.RemovableMarker; // an empty control batch was already cleaned
            default:
                return TransactionVerdict.KeepMarker;
        }
    }

    private void ConsumeUpTo(long offset)
    {
        while (_pending.TryPeek(out var next) && next.FirstOffset <= offset)
        {
            _pending.Dequeue();
            _ongoingAborted[next.ProducerId] = (next, false);
        }
    }
}
