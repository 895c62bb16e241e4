using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>EndTxn, and the completion of a decided transaction: markers, group offsets, CompleteCommit/CompleteAbort.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// EndTxn (Kafka's <c>handleEndTransaction</c>, transactions V1): decides the transaction and answers once the
    /// decision (PrepareCommit/PrepareAbort) is durable; its markers are written and it is completed in the background,
    /// as in Kafka. Errors: INVALID_REQUEST (empty id), INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (another epoch),
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

        return await PrepareAndCompleteAsync(entry, target, write, waitForCompletion: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Installs a PrepareCommit/PrepareAbort once durable and starts its completion; with
    /// <paramref name="waitForCompletion"/>, also waits for it (at most
    /// <see cref="TransactionCoordinatorOptions.CompletionWait"/>: the decision already stands).
    /// </summary>
    private async ValueTask<ErrorCode> PrepareAndCompleteAsync(TransactionEntry entry, TransactionMetadata prepared, Task write, bool waitForCompletion, CancellationToken cancellationToken)
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

        if (!waitForCompletion)
        {
            return ErrorCode.None;
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
    /// Writes the markers of a decided transaction to every partition, completes the groups' offsets, then installs
    /// CompleteCommit/CompleteAbort (Kafka's <c>TransactionMarkerChannelManager</c> and <c>prepareComplete</c>) and
    /// defers its write (<see cref="PersistCompleteLaterAsync"/>). Each step is retried until it succeeds or the broker
    /// stops; a restart finishes what was left.
    /// </summary>
    private async Task CompleteAsync(TransactionEntry entry, TransactionMetadata prepared)
    {
        await Task.Yield();
        var commit = prepared.State == TransactionState.PrepareCommit;
        var token = _shutdown.Token;

        // All partitions at once: each waits for its own log's fsync, so in parallel they cost one fsync, not one each.
        await Task.WhenAll(prepared.Partitions.Select(p => WriteMarkerUntilDoneAsync(p, prepared, commit, token))).ConfigureAwait(false);

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

        // Installed without a write: the markers and offsets are durable, so the log's PrepareX already stands for this
        // outcome (a restart writes the markers again). The producer's next transition persists its own state, which
        // supersedes the PrepareX; only an id that stays idle gets its CompleteX written, after a delay.
        lock (entry.Gate)
        {
            entry.Metadata = complete;
            entry.CompletePersisted = false;
            entry.Completion = null;
        }

        _ = Track(PersistCompleteLaterAsync(entry, complete, token));
    }

    /// <summary>
    /// Persists a CompleteX after <see cref="TransactionCoordinatorOptions.CompleteWriteDelay"/> unless a later transition
    /// of the id has been (or is being) written: that one supersedes the PrepareX in the log already.
    /// </summary>
    private async Task PersistCompleteLaterAsync(TransactionEntry entry, TransactionMetadata complete, CancellationToken token)
    {
        await Task.Delay(_options.CompleteWriteDelay, _time, token).ConfigureAwait(false);
        Task write;
        lock (entry.Gate)
        {
            if (entry.CompletePersisted || entry.Removed || entry.Pending is not null || !ReferenceEquals(entry.Metadata, complete))
            {
                return;
            }

            write = Persist(entry, complete);
        }

        // A failure is logged by Install; the PrepareX then stays in the log and a restart completes it again.
        await Install(entry, complete, write).ConfigureAwait(false);
    }

    /// <summary>On shutdown: persists every CompleteX still deferred, so a clean restart finds nothing to complete.</summary>
    private async Task PersistDeferredCompletionsAsync()
    {
        var writes = new List<(TransactionEntry Entry, TransactionMetadata Complete, Task Write)>();
        foreach (var entry in _entries.Values)
        {
            lock (entry.Gate)
            {
                if (!entry.CompletePersisted && !entry.Removed && entry.Pending is null)
                {
                    writes.Add((entry, entry.Metadata, Persist(entry, entry.Metadata)));
                }
            }
        }

        foreach (var (entry, complete, write) in writes)
        {
            await Install(entry, complete, write).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one partition's marker, retried until it succeeds, is not needed, or can never be written.</summary>
    private async Task WriteMarkerUntilDoneAsync(TransactionPartition partition, TransactionMetadata prepared, bool commit, CancellationToken token)
    {
        while (true)
        {
            var error = await WriteMarkerAsync(partition, prepared, commit, token).ConfigureAwait(false);
            if (error is ErrorCode.None or ErrorCode.UnknownTopicOrPartition)
            {
                return;
            }

            if (error is ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionCoordinatorFenced)
            {
                // The partition has seen a newer epoch of the producer: this marker can never be written, and Kafka's
                // marker sender gives up on it too. Retrying would hold the transaction in PrepareX for ever.
                _logger.LogWarning("The {Marker} marker of {TransactionalId} was refused by {Partition} ({Error}): a newer epoch wrote there; skipped",
                    commit ? "COMMIT" : "ABORT", prepared.TransactionalId, partition, error);
                return;
            }

            _logger.LogWarning("Writing the {Marker} marker of {TransactionalId} to {Partition} failed with {Error}; retrying",
                commit ? "COMMIT" : "ABORT", prepared.TransactionalId, partition, error);
            await Task.Delay(_options.RetryBackoff, _time, token).ConfigureAwait(false);
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
