using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>EndTxn, and the completion of a decided transaction: markers, group offsets, CompleteCommit/CompleteAbort.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// EndTxn (Kafka's <c>handleEndTransaction</c>, transactions V1): decides the transaction, writes its markers and
    /// completes it. Errors: INVALID_REQUEST (empty id), INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (another epoch),
    /// CONCURRENT_TRANSACTIONS (a transition in flight, or the same decision still completing), INVALID_TXN_STATE (no
    /// transaction, or the other decision was taken); a retry of a completed decision answers NONE.
    /// </summary>
    public async ValueTask<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit, CancellationToken cancellationToken = default)
    {
        if (transactionalId.Length == 0)
        {
            return ErrorCode.InvalidRequest;
        }

        if (!_entries.TryGetValue(transactionalId, out var entry))
        {
            return ErrorCode.InvalidProducerIdMapping;
        }

        TransactionMetadata target;
        Task write;
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

            if (entry.Pending is not null)
            {
                return ErrorCode.ConcurrentTransactions;
            }

            switch (current.State)
            {
                case TransactionState.Ongoing:
                    target = current with
                    {
                        State = commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort,
                        LastUpdateTimestampMs = NowMs,
                    };
                    break;
                case TransactionState.CompleteCommit:
                    return commit ? ErrorCode.None : ErrorCode.InvalidTxnState;
                case TransactionState.CompleteAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.None;
                case TransactionState.PrepareCommit:
                    return commit ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState;
                case TransactionState.PrepareAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions;
                default:
                    return ErrorCode.InvalidTxnState;
            }

            write = Persist(entry, target);
        }

        return await PrepareAndCompleteAsync(entry, target, write, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Installs a PrepareCommit/PrepareAbort once durable, starts its completion and waits for it (at most
    /// <see cref="TransactionCoordinatorOptions.CompletionWait"/>: the decision already stands).
    /// </summary>
    private async ValueTask<ErrorCode> PrepareAndCompleteAsync(TransactionEntry entry, TransactionMetadata prepared, Task write, CancellationToken cancellationToken)
    {
        var error = await Install(entry, prepared, write).ConfigureAwait(false);
        if (error != ErrorCode.None)
        {
            return error;
        }

        Task completion;
        lock (entry.Gate)
        {
            completion = entry.Completion = Track(CompleteAsync(entry, prepared));
        }

        try
        {
            await completion.WaitAsync(_options.CompletionWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Transaction of {TransactionalId} is decided ({State}) but its markers are not all written after {Wait}; they are retried",
                prepared.TransactionalId, prepared.State, _options.CompletionWait);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The connection closed or the broker stops: the outcome is durable either way.
        }

        return ErrorCode.None;
    }

    /// <summary>
    /// Writes the markers of a decided transaction to every partition, completes the groups' offsets, then persists
    /// CompleteCommit/CompleteAbort (Kafka's <c>TransactionMarkerChannelManager</c> and <c>prepareComplete</c>). Each
    /// step is retried until it succeeds or the broker stops; a restart finishes what was left.
    /// </summary>
    private async Task CompleteAsync(TransactionEntry entry, TransactionMetadata prepared)
    {
        await Task.Yield();
        var commit = prepared.State == TransactionState.PrepareCommit;
        var token = _shutdown.Token;
        foreach (var partition in prepared.Partitions)
        {
            while (true)
            {
                var error = await WriteMarkerAsync(partition, prepared, commit, token).ConfigureAwait(false);
                if (error is ErrorCode.None or ErrorCode.UnknownTopicOrPartition)
                {
                    break;
                }

                if (error is ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionCoordinatorFenced)
                {
                    // The partition has seen a newer epoch of the producer: this marker can never be written, and Kafka's
                    // marker sender gives up on it too. Retrying would hold the transaction in PrepareX for ever.
                    _logger.LogWarning("The {Marker} marker of {TransactionalId} was refused by {Partition} ({Error}): a newer epoch wrote there; skipped",
                        commit ? "COMMIT" : "ABORT", prepared.TransactionalId, partition, error);
                    break;
                }

                _logger.LogWarning("Writing the {Marker} marker of {TransactionalId} to {Partition} failed with {Error}; retrying",
                    commit ? "COMMIT" : "ABORT", prepared.TransactionalId, partition, error);
                await Task.Delay(_options.RetryBackoff, _time, token).ConfigureAwait(false);
            }
        }

        foreach (var group in prepared.Groups)
        {
            while (true)
            {
                try
                {
                    await _offsets.CompleteTransactionAsync(group, prepared.ProducerId, commit, token).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException && !token.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Completing the transactional offsets of group {GroupId} for {TransactionalId} failed; retrying", group, prepared.TransactionalId);
                    await Task.Delay(_options.RetryBackoff, _time, token).ConfigureAwait(false);
                }
            }
        }

        var complete = prepared with
        {
            State = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
            LastProducerEpoch = prepared.ProducerEpoch,
            Partitions = prepared.Partitions.Clear(),
            Groups = prepared.Groups.Clear(),
            LastUpdateTimestampMs = NowMs,
        };
        while (true)
        {
            Task write;
            lock (entry.Gate)
            {
                write = Persist(entry, complete);
            }

            if (await Install(entry, complete, write).ConfigureAwait(false) == ErrorCode.None)
            {
                break;
            }

            token.ThrowIfCancellationRequested();
            await Task.Delay(_options.RetryBackoff, _time, token).ConfigureAwait(false);
        }

        lock (entry.Gate)
        {
            entry.Completion = null;
        }
    }

    private async ValueTask<ErrorCode> WriteMarkerAsync(TransactionPartition partition, TransactionMetadata prepared, bool commit, CancellationToken token)
    {
        try
        {
            return await _markers.WriteMarkerAsync(partition, prepared.ProducerId, prepared.ProducerEpoch, commit, CoordinatorEpoch, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            _logger.LogWarning(e, "Writing a marker to {Partition} threw", partition);
            return ErrorCode.KafkaStorageError;
        }
    }
}
