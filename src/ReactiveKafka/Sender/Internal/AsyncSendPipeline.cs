using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// The async send stream: a pump task awaits a permit per record of the source; results go through an unbounded
/// channel (bounded in practice by the permits) to the consuming <c>await foreach</c>, which releases a record's
/// permit when it asks for the next result.
/// </summary>
internal sealed class AsyncSendPipeline<TKey, TValue, TCorrelation> : SendPipeline<TKey, TValue, TCorrelation>
{
    private readonly Channel<SenderResult<TCorrelation>> _results =
        Channel.CreateUnbounded<SenderResult<TCorrelation>>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Lock _abandonLock = new();
    private int _abandoned;

    public AsyncSendPipeline(ProducerCore<TKey, TValue> core)
        : base(core)
    {
    }

    public async IAsyncEnumerable<SenderResult<TCorrelation>> RunAsync(
        IAsyncEnumerable<SenderRecord<TKey, TValue, TCorrelation>> records,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Core.Register(this);
        using var registration = cancellationToken.Register(static self => ((AsyncSendPipeline<TKey, TValue, TCorrelation>)self!).Unsubscribe(), this);
        var pump = Task.Run(() => PumpAsync(records), CancellationToken.None);
        var unsettled = false;
        try
        {
            var reader = _results.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var result))
                {
                    if (Accept(result))
                    {
                        unsettled = true;
                        yield return result;
                        unsettled = false;
                    }

                    Settle();
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (TryTerminate(out var error) && error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            if (unsettled)
            {
                Settle();
            }

            Abandon();
            await pump.ConfigureAwait(false);
        }
    }

    protected override void Deliver(SenderResult<TCorrelation> result)
    {
        _results.Writer.TryWrite(result);
        if (Volatile.Read(ref _abandoned) != 0)
        {
            SettleAbandoned();
        }
    }

    protected override void SignalTerminal()
    {
        _results.Writer.TryComplete();
        if (Volatile.Read(ref _abandoned) != 0)
        {
            TryTerminate(out _);
        }
    }

    private async Task PumpAsync(IAsyncEnumerable<SenderRecord<TKey, TValue, TCorrelation>> records)
    {
        Exception? error = null;
        try
        {
            await foreach (var record in records.WithCancellation(StopToken).ConfigureAwait(false))
            {
                if (!IsTaking)
                {
                    break;
                }

                await SendAwaitingAsync(record).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            // Stopped while the source was waiting: not a source failure.
        }
        catch (Exception sourceError)
        {
            error = sourceError;
        }

        CloseSource(error);
    }

    /// <summary>The consumer left (or the stream ended): stop taking records and settle whatever still arrives.</summary>
    private void Abandon()
    {
        Interlocked.Exchange(ref _abandoned, 1);
        Unsubscribe();
        SettleAbandoned();
        TryTerminate(out _);
    }

    private void SettleAbandoned()
    {
        lock (_abandonLock)
        {
            while (_results.Reader.TryRead(out _))
            {
                Settle();
            }
        }
    }
}
