using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Hosting.Pipeline;

/// <summary>
/// A hosted receiver pipeline: receives from one <see cref="KafkaReceiver{TKey, TValue}"/>, hands each record to the
/// handler (up to <see cref="KafkaPipelineOptions.MaxConcurrency"/> at once), acknowledges it when the handler returns.
/// </summary>
/// <remarks>
/// <para>
/// Stopping (the host's <see cref="StopAsync"/>) drains: no new record is started, the records in flight finish and are
/// acknowledged, and only then does the receive end, which commits the acknowledged offsets and leaves the group. So a
/// record is either processed and committed, or neither (taken records that were never started are read again by the
/// partition's next reader): none is lost and none processed twice. If the host's shutdown timeout runs out first, the
/// handlers' token is canceled and the unfinished records stay unacknowledged.
/// </para>
/// <para>
/// A failure (a handler's exception, the receive sequence's error) drains the same way, then the pipeline is
/// <see cref="KafkaPipelineState.Failed"/>, or with <see cref="KafkaPipelineOptions.RestartOnFailure"/> waits
/// (<see cref="KafkaPipelineState.Restarting"/>, exponential backoff) and runs again from the committed offsets.
/// </para>
/// </remarks>
internal sealed partial class KafkaPipeline<TKey, TValue> : IHostedService, IKafkaPipeline, IAsyncDisposable
{
    private readonly KafkaReceiver<TKey, TValue> _receiver;
    private readonly Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask> _handle;
    private readonly KafkaPipelineOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly LagHistory _lag;
    private Task _run = Task.CompletedTask;
    private volatile Exception? _lastError;
    private volatile KafkaPipelineState _state = KafkaPipelineState.NotStarted;
    private int _restarts;
    private long _processed;
    private int _disposed;

    public KafkaPipeline(
        string name,
        KafkaReceiver<TKey, TValue> receiver,
        Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask> handle,
        KafkaPipelineOptions options,
        ILoggerFactory loggerFactory)
    {
        Name = name;
        _receiver = receiver;
        _handle = handle;
        _options = options;
        _logger = loggerFactory.CreateLogger("ReactiveKafka.Hosting.Pipeline");
        _lag = new LagHistory(options.LagGrowthWindow);
    }

    public string Name { get; }

    public KafkaPipelineState State => _state;

    public Exception? LastError => _lastError;

    public int Restarts => Volatile.Read(ref _restarts);

    public long Processed => Interlocked.Read(ref _processed);

    public ReceiverStatistics Statistics => _receiver.Statistics;

    public bool LagGrowing => _lag.Growing;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _state = KafkaPipelineState.Running;
        _run = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Drains within <paramref name="cancellationToken"/> (the host's shutdown timeout), then aborts the handlers.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_state is KafkaPipelineState.Running or KafkaPipelineState.Restarting)
        {
            _state = KafkaPipelineState.Draining;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout ran out: abort the handlers; their records stay unacknowledged, the rest is committed
            // by the receive's end, which goes on in the background.
            Log.DrainTimedOut(_logger, Name);
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops at once (aborting handlers) if the host did not; idempotent (the container holds it under three services).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reported through the state already.
        }

        _stopping.Dispose();
        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        var failuresInRow = 0;
        using var sampler = new CancellationTokenSource();
        var sampling = _lag.Enabled ? SampleLagAsync(sampler.Token) : Task.CompletedTask;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                _state = _stopping.IsCancellationRequested ? KafkaPipelineState.Draining : KafkaPipelineState.Running;
                var started = Stopwatch.GetTimestamp();
                var failure = await new PipelineRun<TKey, TValue>(_receiver, _handle, _options.MaxConcurrency, _stopping.Token, _abort.Token, () => Interlocked.Increment(ref _processed))
                    .RunAsync().ConfigureAwait(false);
                if (failure is null)
                {
                    break;
                }

                _lastError = failure;
                Log.Failed(_logger, failure, Name, _options.RestartOnFailure);
                if (!_options.RestartOnFailure || _stopping.IsCancellationRequested)
                {
                    _state = KafkaPipelineState.Failed;
                    return;
                }

                // A run that went well for longer than the longest backoff starts the backoff over.
                failuresInRow = Stopwatch.GetElapsedTime(started) > _options.MaxRestartDelay ? 1 : failuresInRow + 1;
                var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRestartDelay.Ticks, _options.RestartDelay.Ticks * (1L << Math.Min(failuresInRow - 1, 30))));
                _state = KafkaPipelineState.Restarting;
                try
                {
                    await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Interlocked.Increment(ref _restarts);
                Log.Restarting(_logger, Name, Restarts);
            }

            _state = KafkaPipelineState.Stopped;
        }
        finally
        {
            await sampler.CancelAsync().ConfigureAwait(false);
            await sampling.ConfigureAwait(false);
        }
    }

    private async Task SampleLagAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                _lag.Add(_state == KafkaPipelineState.Running ? _receiver.Statistics.Lag : -1);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, EventName = "PipelineFailed", Level = LogLevel.Error, Message = "Kafka pipeline {Pipeline} failed (restart configured: {Restart})")]
        public static partial void Failed(ILogger logger, Exception error, string pipeline, bool restart);

        [LoggerMessage(EventId = 4001, EventName = "PipelineRestarting", Level = LogLevel.Warning, Message = "Kafka pipeline {Pipeline} restarting (restart {Restarts})")]
        public static partial void Restarting(ILogger logger, string pipeline, int restarts);

        [LoggerMessage(EventId = 4002, EventName = "PipelineDrainTimedOut", Level = LogLevel.Warning, Message = "Kafka pipeline {Pipeline} did not drain within the host's shutdown timeout: unfinished records were aborted and stay unacknowledged (read again later)")]
        public static partial void DrainTimedOut(ILogger logger, string pipeline);
    }
}
