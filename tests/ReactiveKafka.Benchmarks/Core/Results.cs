namespace ReactiveKafka.Benchmarks.Core;

/// <summary>The values of one side of a scenario, one per run.</summary>
public sealed record SideResult(string Label, string Unit, double[] Values)
{
    public double Median => Stats.Median(Values);

    public double Min => Values.Length == 0 ? double.NaN : Values.Min();

    public double Max => Values.Length == 0 ? double.NaN : Values.Max();
}

/// <summary>
/// One scenario's outcome: side A and side B measured alternately (A, B, A, B, ...), the ratio A/B of each pair,
/// and the target check on whichever figure the target names.
/// </summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }

    /// <summary>What was measured and at which sizes (records, bytes, rates, flush policy).</summary>
    public required string Sizes { get; init; }

    public required SideResult A { get; init; }

    public required SideResult B { get; init; }

    /// <summary>A[i] / B[i] for each alternated pair i.</summary>
    public required double[] Ratios { get; init; }

    /// <summary>The target as stated, e.g. "ratio ≥ 0.95".</summary>
    public required string Target { get; init; }

    /// <summary>The figure the target is checked on, e.g. "median ratio 0.97".</summary>
    public required string Checked { get; init; }

    /// <summary>Whether the target was met (null in --smoke: times mean nothing there).</summary>
    public bool? Met { get; init; }

    /// <summary>Further figures (percentiles, sizes, timings) by name: the median over runs unless the name says.</summary>
    public Dictionary<string, double> Extra { get; init; } = [];

    public List<string> Notes { get; init; } = [];

    public double RatioMedian => Stats.Median(Ratios);
}

/// <summary>Median and percentiles.</summary>
public static class Stats
{
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The <paramref name="p"/>-quantile (0..1) of sorted values, nearest rank.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// The p50, p99 and p99.9 of each measured run by side, reported as their medians over runs: what the latency
/// scenarios put in <see cref="ScenarioResult.Extra"/>.
/// </summary>
public sealed class PercentileSeries(string keySuffix = "")
{
    private static readonly (string Name, double P)[] Points = [("p50", 0.50), ("p99", 0.99), ("p99.9", 0.999)];
    private readonly Dictionary<string, List<double>> _runs = [];

    /// <summary>One run's sorted values of <paramref name="side"/>.</summary>
    public void Add(string side, double[] sorted)
    {
        foreach (var (name, p) in Points)
        {
            var key = $"{side} {name} ms{keySuffix}";
            if (!_runs.TryGetValue(key, out var list))
            {
                _runs[key] = list = [];
            }

            list.Add(Stats.Percentile(sorted, p));
        }
    }

    /// <summary>Each figure's median over the runs, into <paramref name="extra"/>, in key order.</summary>
    public void AddMediansTo(Dictionary<string, double> extra)
    {
        foreach (var (key, values) in _runs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            extra[key] = Stats.Median(values);
        }
    }
}
