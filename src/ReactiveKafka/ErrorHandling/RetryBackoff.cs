namespace ReactiveKafka;

/// <summary>How the wait between attempts of a <see cref="RetryPolicy"/> grows.</summary>
public enum RetryBackoff
{
    /// <summary>Every wait is <see cref="RetryPolicy.Delay"/>.</summary>
    Constant,

    /// <summary>The n-th wait is n × <see cref="RetryPolicy.Delay"/>.</summary>
    Linear,

    /// <summary>The n-th wait is 2^(n-1) × <see cref="RetryPolicy.Delay"/>.</summary>
    Exponential,
}
