using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>InitProducerId with a transactional id: Kafka's <c>handleInitProducerId</c> / <c>prepareInitProducerIdTransit</c>.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// Gives <paramref name="transactionalId"/> its producer id and a new epoch, fencing every older producer of the id.
    /// <paramref name="expectedProducerId"/>/<paramref name="expectedEpoch"/> (InitProducerId v3+, KIP-360) are the
    /// caller's current ones, or -1 for a new producer. Errors as Kafka: INVALID_REQUEST (empty id),
    /// INVALID_TRANSACTION_TIMEOUT (not in 1 ms .. <see cref="TransactionCoordinatorOptions.MaxTimeout"/>),
    /// CONCURRENT_TRANSACTIONS (a transition or a previous transaction is completing; an ongoing one is being aborted),
    /// PRODUCER_FENCED (the expected epoch is neither the current nor the last one).
    /// </summary>
    public async ValueTask<InitProducerIdResult> InitProducerIdAsync(string transactionalId, int timeoutMs, long expectedProducerId = -1, short expectedEpoch = -1, CancellationToken cancellationToken = default)
    {
        if (transactionalId.Length == 0)
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }

        if (timeoutMs <= 0 || timeoutMs > _options.MaxTimeout.TotalMilliseconds)
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidTransactionTimeout);
        }

        (long ProducerId, short Epoch)? expected = expectedProducerId >= 0 || expectedEpoch >= 0 ? (expectedProducerId, expectedEpoch) : null;
        while (true)
        {
            var entry = GetOrCreateEntry(transactionalId, timeoutMs, out var allocationError);
            if (entry is null)
            {
                return InitProducerIdResult.Failed(allocationError);
            }

            TransactionMetadata target;
            Task write;
            var fence = false;
            lock (entry.Gate)
            {
                if (entry.Removed)
                {
                    continue;
                }

                var current = entry.Metadata;
                if (entry.Pending is not null)
                {
                    return InitProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);
                }

                if (expected is { } e && !(current.ProducerEpoch == TransactionMetadata.NoProducerEpoch
                    || e.ProducerId == current.ProducerId
                    || (e.ProducerId == current.PreviousProducerId && TransactionMetadata.IsExhausted(e.Epoch))))
                {
                    return InitProducerIdResult.Failed(ErrorCode.ProducerFenced);
                }

                switch (current.State)
                {
                    case TransactionState.PrepareCommit or TransactionState.PrepareAbort:
                        return InitProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);
                    case TransactionState.Ongoing:
                        // Kafka's PrepareEpochFence then PrepareAbort, in one step here: the bumped epoch is never
                        // returned to anyone; the caller retries and gets the epoch after it.
                        target = current with
                        {
                            ProducerEpoch = checked((short)(current.ProducerEpoch + 1)),
                            LastProducerEpoch = TransactionMetadata.NoProducerEpoch,
                            State = TransactionState.PrepareAbort,
                            LastUpdateTimestampMs = NowMs,
                        };
                        fence = true;
                        break;
                    default:
                        var next = NextEpoch(current, timeoutMs, expected);
                        if (next.Error != ErrorCode.None)
                        {
                            return InitProducerIdResult.Failed(next.Error);
                        }

                        target = next.Target!;
                        break;
                }

                write = Persist(entry, target);
            }

            if (fence)
            {
                _logger.LogInformation("InitProducerId of {TransactionalId} fences epoch {Epoch}: aborting its ongoing transaction", transactionalId, target.ProducerEpoch - 1);
                var error = await PrepareAndCompleteAsync(entry, target, write, waitForCompletion: true, cancellationToken).ConfigureAwait(false);
                return InitProducerIdResult.Failed(error == ErrorCode.None ? ErrorCode.ConcurrentTransactions : error);
            }

            var installed = await Install(entry, target, write).ConfigureAwait(false);
            return installed == ErrorCode.None
                ? new InitProducerIdResult(ErrorCode.None, target.ProducerId, target.ProducerEpoch)
                : InitProducerIdResult.Failed(installed);
        }
    }

    /// <summary>The entry of an id, created with a fresh producer id (and no epoch yet) when unknown.</summary>
    private TransactionEntry? GetOrCreateEntry(string transactionalId, int timeoutMs, out ErrorCode error)
    {
        error = ErrorCode.None;
        if (_entries.TryGetValue(transactionalId, out var entry))
        {
            return entry;
        }

        if (!TryAllocateProducerId(out var producerId, out error))
        {
            return null;
        }

        // A racing InitProducerId may win; its entry is used and this producer id is simply never handed out.
        return _entries.GetOrAdd(transactionalId, new TransactionEntry(TransactionMetadata.New(transactionalId, producerId, timeoutMs, NowMs)));
    }

    private bool TryAllocateProducerId(out long producerId, out ErrorCode error)
    {
        try
        {
            producerId = _allocateProducerId();
            error = ErrorCode.None;
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _logger.LogError(e, "Allocating a producer id failed");
            producerId = -1;
            error = ErrorCode.CoordinatorNotAvailable;
            return false;
        }
    }

    /// <summary>
    /// Kafka's <c>prepareIncrementProducerEpoch</c> / <c>prepareProducerIdRotation</c> from Empty, CompleteCommit or
    /// CompleteAbort: the next epoch (or a new producer id once the epochs are exhausted), or the same one for a retry of
    /// a call that already bumped it (the expected epoch is the last one).
    /// </summary>
    private (ErrorCode Error, TransactionMetadata? Target) NextEpoch(TransactionMetadata current, int timeoutMs, (long ProducerId, short Epoch)? expected)
    {
        var now = NowMs;
        var empty = current with
        {
            PreviousProducerId = current.ProducerId,
            TimeoutMs = timeoutMs,
            State = TransactionState.Empty,
            Partitions = current.Partitions.Clear(),
            Groups = current.Groups.Clear(),
            StartTimestampMs = -1,
            LastUpdateTimestampMs = now,
        };
        if (current.IsEpochExhausted && (expected is null || expected.Value.Epoch == current.ProducerEpoch))
        {
            if (!TryAllocateProducerId(out var producerId, out var error))
            {
                return (error, null);
            }

            return (ErrorCode.None, empty with
            {
                ProducerId = producerId,
                ProducerEpoch = 0,
                LastProducerEpoch = expected is null ? TransactionMetadata.NoProducerEpoch : current.ProducerEpoch,
            });
        }

        var bumped = (short)(current.ProducerEpoch + 1);
        if (expected is not { } e)
        {
            return (ErrorCode.None, empty with { ProducerEpoch = bumped, LastProducerEpoch = TransactionMetadata.NoProducerEpoch });
        }

        if (current.ProducerEpoch == TransactionMetadata.NoProducerEpoch || e.Epoch == current.ProducerEpoch)
        {
            return (ErrorCode.None, empty with { ProducerEpoch = bumped, LastProducerEpoch = current.ProducerEpoch });
        }

        if (e.Epoch == current.LastProducerEpoch)
        {
            // A retry of a call that bumped the epoch but whose answer was lost: the same epoch again.
            return (ErrorCode.None, empty);
        }

        return (ErrorCode.ProducerFenced, null);
    }
}
