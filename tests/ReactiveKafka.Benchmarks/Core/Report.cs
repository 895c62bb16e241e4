using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>The markdown table and the JSON file.</summary>
public static class Report
{
    public static string Markdown(IReadOnlyList<ScenarioResult> results, BenchSettings settings)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Runs per side: {settings.Runs} (alternated A, B, A, B, ...){(settings.Smoke ? " — SMOKE sizes: times mean nothing" : "")}");
        sb.AppendLine();
        sb.AppendLine("| scenario | sizes | side A: median (min–max) | side B: median (min–max) | ratio A/B: median (min–max) | target | checked | met |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Sizes} | {Side(r.A)} | {Side(r.B)} | {F(r.RatioMedian)} ({F(r.Ratios.DefaultIfEmpty(double.NaN).Min())}–{F(r.Ratios.DefaultIfEmpty(double.NaN).Max())}) | {r.Target} | {r.Checked} | {Met(r.Met)} |");
        }

        var withExtra = results.Where(r => r.Extra.Count > 0 || r.Notes.Count > 0).ToList();
        if (withExtra.Count > 0)
        {
            sb.AppendLine();
            foreach (var r in withExtra)
            {
                var extras = string.Join(", ", r.Extra.Select(e => $"{e.Key} {F(e.Value)}"));
                var notes = string.Join(" ", r.Notes);
                sb.AppendLine(CultureInfo.InvariantCulture, $"- **{r.Name}**: {extras}{(extras.Length > 0 && notes.Length > 0 ? ". " : "")}{notes}");
            }
        }

        return sb.ToString();
    }

    private static string Side(SideResult s) => $"{s.Label}: {F(s.Median)} {s.Unit} ({F(s.Min)}–{F(s.Max)})";

    private static string Met(bool? met) => met switch { true => "yes", false => "**no**", null => "n/a (smoke)" };

    public static string F(double v) => double.IsNaN(v) ? "–" : Math.Abs(v) switch
    {
        >= 100_000 => v.ToString("#,0", CultureInfo.InvariantCulture),
        >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        _ => v.ToString("0.###", CultureInfo.InvariantCulture),
    };

    public static void WriteJson(string path, IReadOnlyList<ScenarioResult> results, BenchSettings settings)
    {
        var document = new
        {
            machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, runtime = Environment.Version.ToString() },
            settings = new { settings.Runs, settings.Records, settings.Smoke, settings.Scenarios },
            startedUtc = DateTime.UtcNow,
            scenarios = results.Select(r => new
            {
                r.Name,
                r.Sizes,
                a = new { r.A.Label, r.A.Unit, median = Num(r.A.Median), min = Num(r.A.Min), max = Num(r.A.Max), values = r.A.Values.Select(Num) },
                b = new { r.B.Label, r.B.Unit, median = Num(r.B.Median), min = Num(r.B.Min), max = Num(r.B.Max), values = r.B.Values.Select(Num) },
                ratio = new { median = Num(r.RatioMedian), values = r.Ratios.Select(Num) },
                r.Target,
                r.Checked,
                r.Met,
                extra = r.Extra.ToDictionary(e => e.Key, e => Num(e.Value)),
                r.Notes,
            }),
        };
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }

    private static double? Num(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
}
