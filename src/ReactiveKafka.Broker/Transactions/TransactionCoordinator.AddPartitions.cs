using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>AddPartitionsToTxn, AddOffsetsToTxn and the checks of transactional writes against the transaction.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// AddPartitionsToTxn (Kafka's <c>handleAddPartitionsToTransaction</c>): adds the partitions to the producer's
    /// transaction, starting one if none is ongoing. Errors: INVALID_REQUEST (empty id), INVALID_PRODUCER_ID_MAPPING
    /// (unknown id or another producer id), PRODUCER_FENCED (another epoch), CONCURRENT_TRANSACTIONS (a transition in
    /// flight, or the previous transaction still completing, for longer than
    /// <see cref="TransactionCoordinatorOptions.CompletionWait"/>: shorter ones are waited for), COORDINATOR_NOT_AVAILABLE
    /// (the write failed).
    /// </summary>
    public ValueTask<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TransactionPartition> partitions, CancellationToken cancellationToken = default) =>
        AddAsync(transactionalId, producerId, producerEpoch, partitions, group: null, cancellationToken);

    /// <summary>
    /// AddOffsetsToTxn: adds the consumer group to the transaction (Kafka adds the group's <c>__consumer_offsets</c>
    /// partition), so that its TxnOffsetCommits are committed or dropped with it. Errors as <see cref="AddPartitionsAsync"/>.
    /// </summary>
    public ValueTask<ErrorCode> AddOffsetsAsync(string transactionalId, long producerId, short producerEpoch, string groupId, CancellationToken cancellationToken = default) =>
        AddAsync(transactionalId, producerId, producerEpoch, [], groupId, cancellationToken);

    /// <summary>
    /// Whether a transactional write by the producer to <paramref name="partition"/> belongs to its ongoing transaction
    /// (Kafka's transaction verification, KIP-890 part 1, answered as brokers answer clients that predate
    /// TRANSACTION_ABORTABLE): NONE; INVALID_PRODUCER_ID_MAPPING (unknown id or producer id); INVALID_PRODUCER_EPOCH
    /// (another epoch); CONCURRENT_TRANSACTIONS (completing); INVALID_TXN_STATE (not added to the transaction).
    /// </summary>
    public ErrorCode VerifyPartition(string transactionalId, long producerId, short producerEpoch, TransactionPartition partition) =>
        Verify(transactionalId, producerId, producerEpoch, m => m.Partitions.Contains(partition));

    /// <summary>
    /// The check of a Produce: NONE for records that are not transactional; otherwise as <see cref="VerifyPartition"/>
    /// for the producer of the first batch (all batches of one partition come from one producer), and INVALID_REQUEST
    /// for transactional records sent without a transactional id. Malformed records are left to the log's validation.
    /// </summary>
    public ErrorCode VerifyProduce(string? transactionalId, ReadOnlySpan<byte> records, TransactionPartition partition)
    {
        if (!RecordBatchHeader.TryRead(records, out var header) || !header.IsTransactional || header.IsControl || !header.HasProducerId)
        {
            return ErrorCode.None;
        }

        return transactionalId is null ? ErrorCode.InvalidRequest : VerifyPartition(transactionalId, header.ProducerId, header.ProducerEpoch, partition);
    }

    /// <summary>Like <see cref="VerifyPartition"/> for a TxnOffsetCommit: the group must have been added with AddOffsetsToTxn.</summary>
    public ErrorCode VerifyGroup(string transactionalId, long producerId, short producerEpoch, string groupId) =>
        Verify(transactionalId, producerId, producerEpoch, m => m.Groups.Contains(groupId));

    /// <summary>
    /// AddPartitionsToTxn v4+ with <c>verify_only</c> (Kafka's <c>handleVerifyPartitionsInTransaction</c>): per partition
    /// NONE or TRANSACTION_ABORTABLE, or one error for all (INVALID_REQUEST, INVALID_PRODUCER_ID_MAPPING,
    /// PRODUCER_FENCED, CONCURRENT_TRANSACTIONS).
    /// </summary>
    public (ErrorCode Error, IReadOnlyDictionary<TransactionPartition, ErrorCode> Partitions) VerifyPartitions(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TransactionPartition> partitions)
    {
        if (transactionalId.Length == 0)
        {
            return (ErrorCode.InvalidRequest, new Dictionary<TransactionPartition, ErrorCode>());
        }

        if (!_entries.TryGetValue(transactionalId, out var entry))
        {
            return (ErrorCode.InvalidProducerIdMapping, new Dictionary<TransactionPartition, ErrorCode>());
        }

        var current = entry.Snapshot();
        if (current.ProducerId != producerId)
        {
            return (ErrorCode.InvalidProducerIdMapping, new Dictionary<TransactionPartition, ErrorCode>());
        }

        if (current.ProducerEpoch != producerEpoch)
        {
            return (ErrorCode.ProducerFenced, new Dictionary<TransactionPartition, ErrorCode>());
        }

        if (current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort)
        {
            return (ErrorCode.ConcurrentTransactions, new Dictionary<TransactionPartition, ErrorCode>());
        }

        return (ErrorCode.None, partitions.Distinct().ToDictionary(p => p, p => current.Partitions.Contains(p) ? ErrorCode.None : ErrorCode.TransactionAbortable));
    }

    private ErrorCode Verify(string transactionalId, long producerId, short producerEpoch, Func<TransactionMetadata, bool> added)
    {
        var (error, _) = VerifyPartitions(transactionalId, producerId, producerEpoch, []);
        if (error != ErrorCode.None)
        {
            return error == ErrorCode.ProducerFenced ? ErrorCode.InvalidProducerEpoch : error;
        }

        var current = _entries[transactionalId].Snapshot();
        return current.State == TransactionState.Ongoing && added(current) ? ErrorCode.None : ErrorCode.InvalidTxnState;
    }

    private async ValueTask<ErrorCode> AddAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TransactionPartition> partitions, string? group, CancellationToken cancellationToken)
    {
        if (transactionalId.Length == 0)
        {
            return ErrorCode.InvalidRequest;
        }

        if (!_entries.TryGetValue(transactionalId, out var entry))
        {
            return ErrorCode.InvalidProducerIdMapping;
        }

        var deadline = _time.GetTimestamp() + (long)(_options.CompletionWait.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            TransactionMetadata? target = null;
            Task? write = null;
            Task? busy;
            lock (entry.Gate)
            {
                var current = entry.Metadata;
                if (entry.Removed || current.ProducerId != producerId)
                {
                    return ErrorCode.InvalidProducerIdMapping;
                }

                if (current.ProducerEpoch != producerEpoch)
                {
                    return ErrorCode.ProducerFenced;
                }

                busy = entry.Pending is not null ? entry.Transition?.Task
                    : current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort ? entry.Completion ?? Task.CompletedTask
                    : null;
                if (busy is null && entry.Pending is not null)
                {
                    // The id is being removed (expired).
                    return ErrorCode.ConcurrentTransactions;
                }

                if (busy is null)
                {
                    if (current.State == TransactionState.Ongoing && partitions.All(current.Partitions.Contains) && (group is null || current.Groups.Contains(group)))
                    {
                        // Already part of the transaction: nothing to persist.
                        return ErrorCode.None;
                    }

                    var now = NowMs;
                    target = current with
                    {
                        State = TransactionState.Ongoing,
                        Partitions = current.Partitions.Union(partitions),
                        Groups = group is null ? current.Groups : current.Groups.Add(group),
                        StartTimestampMs = current.State == TransactionState.Ongoing ? current.StartTimestampMs : now,
                        LastUpdateTimestampMs = now,
                    };
                    write = Persist(entry, target);
                }
            }

            if (write is not null)
            {
                return await Install(entry, target!, write).ConfigureAwait(false);
            }

            if (!await WaitForAsync(busy!, deadline, cancellationToken).ConfigureAwait(false))
            {
                return ErrorCode.ConcurrentTransactions;
            }
        }
    }

    /// <summary>
    /// Waits for the previous transaction's completion or a transition in flight (Kafka answers CONCURRENT_TRANSACTIONS
    /// at once; waiting the few milliseconds of an fsync here spares the client's 20 ms backoff). False when the wait
    /// ran out, the request was cancelled, or <paramref name="busy"/> had already ended without changing the state (a
    /// completion abandoned on shutdown): the caller answers CONCURRENT_TRANSACTIONS.
    /// </summary>
    private async ValueTask<bool> WaitForAsync(Task busy, long deadline, CancellationToken cancellationToken)
    {
        if (busy.IsCompleted)
        {
            return false;
        }

        var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await busy.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception)
        {
            // The transition failed or the completion was abandoned on shutdown: look at the state again.
        }

        return true;
    }
}
