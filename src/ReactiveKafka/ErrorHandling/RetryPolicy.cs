using Polly;
using Polly.Retry;

namespace ReactiveKafka;

/// <summary>
/// How a record's processing is retried in place (on the same thread of processing, before anything is written
/// anywhere): how many attempts in all, the wait between them and which exceptions are worth another attempt. Built
/// into a Polly.Core <see cref="ResiliencePipeline"/> (<see cref="ToPipeline"/>).
/// </summary>
/// <remarks>
/// In-place retries hold the record's partition (the next record waits), so keep them short; for waits of seconds or
/// more use retry topics (<see cref="RetryTopicOptions{TKey, TValue}"/>), which hold nothing. Immutable: derive
/// variations with <c>with</c>; a bad value throws an <see cref="ArgumentException"/> naming the option.
/// </remarks>
public sealed record RetryPolicy
{
    /// <summary>One attempt, no retry.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>
    /// Attempts in all, the first included: 1 means no retry. Default 3. Zero or less is rejected (a record must be
    /// attempted at least once).
    /// </summary>
    public int MaxAttempts
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxAttempts), value, "RetryPolicy.MaxAttempts must be at least 1 (the first attempt counts): zero attempts would never process the record.");
    } = 3;

    /// <summary>The base wait between attempts (see <see cref="Backoff"/>). Default 100 ms; from zero to one day.</summary>
    public TimeSpan Delay
    {
        get;
        init => field = value >= TimeSpan.Zero && value <= TimeSpan.FromDays(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Delay), value, "RetryPolicy.Delay must be from zero to one day.");
    } = TimeSpan.FromMilliseconds(100);

    /// <summary>How the wait grows from attempt to attempt. Default <see cref="RetryBackoff.Exponential"/>.</summary>
    public RetryBackoff Backoff { get; init; } = RetryBackoff.Exponential;

    /// <summary>The longest wait, whatever the backoff computes; null (default) for no cap.</summary>
    public TimeSpan? MaxDelay
    {
        get;
        init => field = value is null || value.Value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxDelay), value, "RetryPolicy.MaxDelay must be positive (or null for no cap).");
    }

    /// <summary>Spreads the waits randomly (Polly's decorrelated jitter) so that many failing records do not retry in step. Default false.</summary>
    public bool UseJitter { get; init; }

    /// <summary>
    /// Which exceptions are retried; others end the attempts at once (an <see cref="OperationCanceledException"/> of the
    /// processing's own cancellation is never retried). Default: every exception.
    /// </summary>
    public Func<Exception, bool> ShouldRetry
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(ShouldRetry), "RetryPolicy.ShouldRetry must not be null.");
    } = static _ => true;

    /// <summary>
    /// Builds the Polly.Core pipeline of this policy: a retry strategy with <c>MaxAttempts - 1</c> retries, or an empty
    /// pipeline for a single attempt.
    /// </summary>
    /// <param name="timeProvider">The clock for the waits; null for the system clock.</param>
    /// <returns>The pipeline.</returns>
    public ResiliencePipeline ToPipeline(TimeProvider? timeProvider = null)
    {
        if (MaxAttempts == 1)
        {
            return ResiliencePipeline.Empty;
        }

        var shouldRetry = ShouldRetry;
        var builder = new ResiliencePipelineBuilder();
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        return builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = MaxAttempts - 1,
            Delay = Delay,
            MaxDelay = MaxDelay,
            UseJitter = UseJitter,
            BackoffType = Backoff switch
            {
                RetryBackoff.Constant => DelayBackoffType.Constant,
                RetryBackoff.Linear => DelayBackoffType.Linear,
                _ => DelayBackoffType.Exponential,
            },
            ShouldHandle = args => new ValueTask<bool>(
                args.Outcome.Exception is { } error && !args.Context.CancellationToken.IsCancellationRequested && shouldRetry(error)),
        }).Build();
    }
}
