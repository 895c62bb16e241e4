using System.Globalization;

namespace ReactiveKafka.Broker.Server;

/// <summary>The range checks of the server's numeric flags, with the one-line message the server prints.</summary>
internal static class ArgumentRanges
{
    /// <summary>The largest millisecond count a <see cref="TimeSpan"/> holds: durations (retention, expirations) above it overflow.</summary>
    public const long MaxDurationMs = 922_337_203_685_477;

    /// <summary>
    /// The largest period of the broker's timers and delays (<see cref="Task.Delay(TimeSpan)"/> refuses more than
    /// about 49 days); intervals are capped at <see cref="int.MaxValue"/> milliseconds, about 24.8 days.
    /// </summary>
    public const long MaxTimerMs = int.MaxValue;

    /// <summary>
    /// Returns <paramref name="value"/> when it is from <paramref name="min"/> to <paramref name="max"/>, or -1 when
    /// <paramref name="minusOne"/> says what -1 means; otherwise throws naming <paramref name="flag"/> and the range.
    /// </summary>
    /// <exception cref="ArgumentException">The value is outside the range.</exception>
    public static long Check(string flag, long value, long min, long max, string? minusOne)
    {
        if ((value >= min && value <= max) || (value == -1 && minusOne is not null))
        {
            return value;
        }

        throw new ArgumentException($"{flag} must be {Describe(min, max, minusOne)}, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>The accepted values in words, e.g. "-1 (keep forever) or from 1 to 922337203685477".</summary>
    public static string Describe(long min, long max, string? minusOne)
    {
        var range = max == long.MaxValue
            ? $"at least {min.ToString(CultureInfo.InvariantCulture)}"
            : $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
        return minusOne is null ? range : $"-1 ({minusOne}) or {range}";
    }
}
