using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>The timers: aborting transactions past their timeout, forgetting idle transactional ids.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// Kafka's <c>abortTimedOutTransactions</c>: every Ongoing transaction whose start is more than its timeout ago is
    /// fenced (epoch + 1, so its producer's next write or EndTxn fails) and aborted. Returns the number aborted.
    /// </summary>
    internal int AbortTimedOutTransactions()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return 0;
        }

        var aborted = 0;
        var now = NowMs;
        foreach (var entry in _entries.Values)
        {
            TransactionMetadata target;
            Task write;
            lock (entry.Gate)
            {
                var current = entry.Metadata;
                if (entry.Removed || entry.Pending is not null || current.State != TransactionState.Ongoing || current.StartTimestampMs + current.TimeoutMs >= now)
                {
                    continue;
                }

                _logger.LogInformation("Aborting the transaction of {TransactionalId} (producer {ProducerId}, epoch {Epoch}): older than its timeout of {Timeout} ms",
                    current.TransactionalId, current.ProducerId, current.ProducerEpoch, current.TimeoutMs);
                target = current with
                {
                    ProducerEpoch = (short)(current.ProducerEpoch + 1),
                    LastProducerEpoch = TransactionMetadata.NoProducerEpoch,
                    State = TransactionState.PrepareAbort,
                    LastUpdateTimestampMs = now,
                };
                write = Persist(entry, target);
            }

            aborted++;
            Track(PrepareAndCompleteAsync(entry, target, write, waitForCompletion: false, _shutdown.Token).AsTask());
        }

        return aborted;
    }

    /// <summary>
    /// Kafka's <c>removeExpiredTransactionalIds</c>: ids in Empty, CompleteCommit or CompleteAbort untouched for
    /// <see cref="TransactionCoordinatorOptions.TransactionalIdExpiration"/> get a tombstone and are forgotten (their
    /// next InitProducerId starts with a new producer id). Returns the number removed.
    /// </summary>
    internal int RemoveExpiredTransactionalIds()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return 0;
        }

        var removed = 0;
        var horizon = NowMs - (long)_options.TransactionalIdExpiration.TotalMilliseconds;
        foreach (var entry in _entries.Values)
        {
            Task write;
            lock (entry.Gate)
            {
                var current = entry.Metadata;
                if (entry.Removed || entry.Pending is not null || !current.State.IsExpirationAllowed() || current.LastUpdateTimestampMs > horizon)
                {
                    continue;
                }

                entry.Pending = TransactionState.Dead;
                write = _store.Append(new TransactionLogRecord.Tombstone(current.TransactionalId));
            }

            removed++;
            Track(ForgetAsync(entry, write));
        }

        return removed;
    }

    private async Task ForgetAsync(TransactionEntry entry, Task tombstone)
    {
        try
        {
            await tombstone.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            lock (entry.Gate)
            {
                entry.Pending = null;
            }

            return;
        }

        string id;
        lock (entry.Gate)
        {
            entry.Removed = true;
            entry.Pending = null;
            id = entry.Metadata.TransactionalId;
        }

        _entries.TryRemove(KeyValuePair.Create(id, entry));
        _logger.LogInformation("Transactional id {TransactionalId} expired", id);
    }
}
