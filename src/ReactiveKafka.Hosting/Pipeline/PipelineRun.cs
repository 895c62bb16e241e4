using System.Diagnostics;

namespace ReactiveKafka.Hosting.Pipeline;

/// <summary>
/// One run of a pipeline, from subscribing to the receiver to its end: records are started while taking is allowed;
/// when the host stops or a handler fails, taking stops, the records in flight finish, and only then is the receive
/// ended (which commits what was acknowledged and leaves the group).
/// </summary>
/// <remarks>
/// The order matters for "none processed twice": an acknowledgement that arrived after the receive ended would be
/// dropped, and its record processed again by the next reader. So the receive's cancellation waits for the in-flight
/// count to reach zero, and no record starts once taking has stopped (both under one lock).
/// </remarks>
internal sealed class PipelineRun<TKey, TValue>(
    KafkaReceiver<TKey, TValue> receiver,
    Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask> handle,
    int maxConcurrency,
    CancellationToken stopping,
    CancellationToken abort,
    Action processed)
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _taking = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private readonly CancellationTokenSource _receiving = new();
    private readonly SemaphoreSlim _slots = new(maxConcurrency, maxConcurrency);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _takingStopped;
    private int _inFlight;
    private Exception? _failure;

    /// <summary>Runs until stopped (null) or failed (the failure); never throws.</summary>
    public async Task<Exception?> RunAsync()
    {
        using var stopTaking = _taking.Token.Register(StopTaking);
        try
        {
            await foreach (var record in receiver.ReceiveAsync(_receiving.Token).ConfigureAwait(false))
            {
                if (_taking.IsCancellationRequested)
                {
                    continue; // not started, not acknowledged: the partition's next reader reads it
                }

                try
                {
                    await _slots.WaitAsync(_taking.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                if (!TryStart())
                {
                    _slots.Release();
                    continue;
                }

                _ = ProcessAsync(record);
            }
        }
        catch (OperationCanceledException) when (_receiving.IsCancellationRequested)
        {
            // The drained end of the run.
        }
        catch (Exception error)
        {
            // The receive sequence failed (it has closed the consumer): let the handlers in flight finish anyway.
            Fail(error);
            await _drained.Task.ConfigureAwait(false);
        }
        finally
        {
            _taking.Dispose();
            _receiving.Dispose();
        }

        return _failure;
    }

    private async Task ProcessAsync(ReceiverRecord<TKey, TValue> record)
    {
        try
        {
            if (record.Activity is { } activity)
            {
                Activity.Current = activity; // flows into the handler only (this method's context is its own)
            }

            await handle(record, abort).ConfigureAwait(false);
            record.Offset.Acknowledge();
            processed();
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Aborted by the host's shutdown timeout: left unacknowledged.
        }
        catch (Exception error)
        {
            Fail(error);
        }
        finally
        {
            _slots.Release();
            Finished();
        }
    }

    private void Fail(Exception error)
    {
        Interlocked.CompareExchange(ref _failure, error, null);
        try
        {
            _taking.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run is over already.
        }
    }

    private bool TryStart()
    {
        lock (_lock)
        {
            if (_takingStopped)
            {
                return false;
            }

            _inFlight++;
            return true;
        }
    }

    private void Finished()
    {
        bool drained;
        lock (_lock)
        {
            drained = --_inFlight == 0 && _takingStopped;
        }

        if (drained)
        {
            Drained();
        }
    }

    private void StopTaking()
    {
        bool drained;
        lock (_lock)
        {
            _takingStopped = true;
            drained = _inFlight == 0;
        }

        if (drained)
        {
            Drained();
        }
    }

    /// <summary>Every started record has finished: end the receive (it commits and leaves the group).</summary>
    private void Drained()
    {
        _drained.TrySetResult();
        try
        {
            _receiving.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
