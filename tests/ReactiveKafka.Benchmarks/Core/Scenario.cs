namespace ReactiveKafka.Benchmarks.Core;

/// <summary>One benchmark scenario: measures two sides alternately and checks its target.</summary>
public interface IScenario
{
    string Name { get; }

    string Description { get; }

    Task<ScenarioResult> RunAsync(BenchContext context);
}

/// <summary>What a scenario runs with: the settings, a scratch directory, shared fixtures, progress output.</summary>
public sealed class BenchContext(BenchSettings settings, string workDirectory) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _shared = [];
    private readonly Dictionary<string, object> _fixtures = [];

    public BenchSettings Settings { get; } = settings;

    public int Runs => Settings.Runs;

    public bool Smoke => Settings.Smoke;

    /// <summary>A directory for this invocation's data, deleted at the end.</summary>
    public string WorkDirectory { get; } = workDirectory;

    /// <summary>A new empty directory under <see cref="WorkDirectory"/>.</summary>
    public string NewDirectory(string name)
    {
        var path = Path.Combine(WorkDirectory, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A fixture shared by scenarios (e.g. a 1 GB log), created on first use and disposed at the end.</summary>
    public async Task<T> SharedAsync<T>(string key, Func<Task<T>> create)
        where T : class
    {
        if (_fixtures.TryGetValue(key, out var existing))
        {
            return (T)existing;
        }

        var created = await create();
        _fixtures[key] = created;
        if (created is IAsyncDisposable disposable)
        {
            _shared.Add(disposable);
        }

        return created;
    }

    public void Log(string message) => Console.Error.WriteLine($"  [{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>
    /// Runs side A then side B, <see cref="Runs"/> times (A, B, A, B, ...), after <paramref name="warmups"/> unmeasured
    /// pairs; returns each side's values and the ratio A/B of each pair.
    /// </summary>
    public async Task<(double[] A, double[] B, double[] Ratios)> AlternateAsync(
        string labelA, Func<int, Task<double>> runA, string labelB, Func<int, Task<double>> runB, int warmups = 0)
    {
        for (var w = 0; w < warmups; w++)
        {
            Log($"warm-up {w + 1}/{warmups}");
            await runA(-1 - w);
            await runB(-1 - w);
        }

        var a = new double[Runs];
        var b = new double[Runs];
        var costsA = new List<RunCost>();
        var costsB = new List<RunCost>();
        for (var i = 0; i < Runs; i++)
        {
            var cost = ProcessCpu.Start();
            a[i] = await runA(i);
            costsA.Add(cost.Stop());
            Log($"run {i + 1}/{Runs} {labelA}: {a[i]:G4} ({costsA[^1]})");
            cost = ProcessCpu.Start();
            b[i] = await runB(i);
            costsB.Add(cost.Stop());
            Log($"run {i + 1}/{Runs} {labelB}: {b[i]:G4} ({costsB[^1]})");
        }

        LastCosts = $"In the measuring process, per run (medians): {labelA} {Median(costsA)}; {labelB} {Median(costsB)}.";
        return (a, b, a.Zip(b, (x, y) => x / y).ToArray());
    }

    /// <summary>
    /// The median cost of each side in the last <see cref="AlternateAsync"/> (CPU, allocation, GC pauses of this
    /// process), for the scenario's notes; null before the first.
    /// </summary>
    public string? LastCosts { get; private set; }

    /// <summary>Forgets the previous scenario's costs.</summary>
    public void BeginScenario() => LastCosts = null;

    private static string Median(List<RunCost> costs) =>
        $"cpu {Stats.Median(costs.Select(c => c.CpuSeconds).ToArray()):0.00} s in {Stats.Median(costs.Select(c => c.WallSeconds).ToArray()):0.00} s, " +
        $"allocated {Stats.Median(costs.Select(c => c.AllocatedMiB).ToArray()):0} MiB, GC paused {Stats.Median(costs.Select(c => c.GcPauseMs).ToArray()):0} ms";

    public async ValueTask DisposeAsync()
    {
        for (var i = _shared.Count - 1; i >= 0; i--)
        {
            await _shared[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
