using System.Globalization;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// One measured quantity at several sizes (e.g. µs per record at 1, 10, 100, 1,000 partitions), each size measured
/// <c>runs</c> times, and the shape of its growth: the slope of log(value) against log(size) between the smallest and
/// the largest size, from the medians. A per-unit cost that stays flat has slope ≈ 0; a total that grows linearly
/// has slope ≈ 1; anything above 1.2 grows worse than linearly and is a defect.
/// </summary>
public sealed class ScaleSeries(string quantity, string unit, string sizeName, IReadOnlyList<int> sizes)
{
    private readonly Dictionary<int, List<double>> _values = sizes.ToDictionary(s => s, _ => new List<double>());

    public string Quantity { get; } = quantity;

    public string Unit { get; } = unit;

    public string SizeName { get; } = sizeName;

    public IReadOnlyList<int> Sizes { get; } = sizes;

    public void Add(int size, double value) => _values[size].Add(value);

    public double[] Values(int size) => [.. _values[size]];

    public double Median(int size) => Stats.Median(_values[size]);

    /// <summary>d log(value) / d log(size) between the first and the last size (medians).</summary>
    public double Slope()
    {
        var (first, last) = (Sizes[0], Sizes[^1]);
        var (a, b) = (Median(first), Median(last));
        return a > 0 && b > 0 ? Math.Log(b / a) / Math.Log((double)last / first) : double.NaN;
    }

    /// <summary>
    /// flat (|slope| &lt; 0.15, or the largest size within 1.5× of the smallest: the noise of a shared machine),
    /// sublinear, linear (0.85–1.2), worse (&gt; 1.2). A falling value (e.g. throughput that rises) is "flat or better".
    /// </summary>
    public string Shape()
    {
        var slope = Slope();
        var growth = Median(Sizes[^1]) / Median(Sizes[0]);
        return slope switch
        {
            double.NaN => "–",
            _ when growth <= 1.5 => "flat",
            < 0.15 => "flat",
            < 0.85 => "sublinear",
            <= 1.2 => "linear",
            _ => "**worse than linear**",
        };
    }

    /// <summary>Whether the growth is at most linear (slope ≤ 1.2).</summary>
    public bool AtMostLinear => !(Slope() > 1.2);

    /// <summary>e.g. "µs/record at partitions 1: 0.8, 10: 0.8, 100: 0.9, 1000: 1.1 — flat (slope 0.05)".</summary>
    public string Describe() =>
        $"{Quantity} ({Unit}) by {SizeName}: " +
        string.Join(", ", Sizes.Select(s => $"{s.ToString("N0", CultureInfo.InvariantCulture)}: {Report.F(Median(s))} ({Report.F(_values[s].DefaultIfEmpty(double.NaN).Min())}–{Report.F(_values[s].DefaultIfEmpty(double.NaN).Max())})")) +
        $" — {Shape()} (slope {Report.F(Slope())})";

    /// <summary>
    /// A result whose side A is the largest size and side B the smallest; the ratio is their growth, the check the
    /// shape; every size's median goes into the extras, and every further series into the notes.
    /// </summary>
    public ScenarioResult Result(string name, string sizes, bool smoke, IEnumerable<ScaleSeries>? more = null, IEnumerable<string>? notes = null)
    {
        var large = Values(Sizes[^1]);
        var small = Values(Sizes[0]);
        var others = more?.ToList() ?? [];
        var result = new ScenarioResult
        {
            Name = name,
            Sizes = sizes,
            A = new SideResult($"{Quantity} at {SizeName} {Sizes[^1]:N0}", Unit, large),
            B = new SideResult($"{Quantity} at {SizeName} {Sizes[0]:N0}", Unit, small),
            Ratios = large.Zip(small, (x, y) => x / y).ToArray(),
            Target = "no worse than linear (slope ≤ 1.2)",
            Checked = $"{Shape()} (slope {Report.F(Slope())}){string.Concat(others.Select(o => $"; {o.Quantity}: {o.Shape()} (slope {Report.F(o.Slope())})"))}",
            Met = smoke ? null : AtMostLinear && others.All(o => o.AtMostLinear),
        };
        foreach (var series in new[] { this }.Concat(others))
        {
            foreach (var size in series.Sizes)
            {
                result.Extra[$"{series.Quantity} ({series.Unit}) at {series.SizeName} {size}"] = series.Median(size);
            }

            result.Notes.Add(series.Describe() + ".");
        }

        result.Notes.AddRange(notes ?? []);
        return result;
    }
}
