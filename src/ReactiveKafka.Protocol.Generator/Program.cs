using ReactiveKafka.Protocol.Generator;

// Usage:
//   dotnet run --project src/ReactiveKafka.Protocol.Generator -- [specDir] [outDir] [--check]
//   dotnet run --project src/ReactiveKafka.Protocol.Generator -- --update-api-keys <kafka message dir> [specDir]
// Relative paths and the defaults are resolved against the repository root (where ReactiveKafka.sln is).
var check = args.Contains("--check");
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
var root = RepositoryRoot.Find();

if (args.Contains("--update-api-keys"))
{
    if (positional.Count < 1)
    {
        Console.Error.WriteLine("--update-api-keys needs the Kafka message directory.");
        return 2;
    }

    var target = Path.Combine(root, positional.Count > 1 ? positional[1] : RepositoryRoot.DefaultSpecDir, Generation.ApiKeysFile);
    File.WriteAllText(target, Generation.ExtractApiKeys(Path.Combine(root, positional[0])));
    Console.WriteLine($"Wrote {target}");
    return 0;
}

var specDir = Path.Combine(root, positional.Count > 0 ? positional[0] : RepositoryRoot.DefaultSpecDir);
var outDir = Path.Combine(root, positional.Count > 1 ? positional[1] : RepositoryRoot.DefaultOutDir);

SortedDictionary<string, string> files;
try
{
    files = Generation.Run(specDir);
}
catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

var existing = Directory.Exists(outDir)
    ? Directory.GetFiles(outDir, "*.g.cs").ToDictionary(p => Path.GetFileName(p), p => p, StringComparer.Ordinal)
    : [];

if (check)
{
    var stale = files.Where(f => !existing.TryGetValue(f.Key, out var path) || File.ReadAllText(path) != f.Value).Select(f => f.Key)
        .Concat(existing.Keys.Where(k => !files.ContainsKey(k)))
        .ToList();
    foreach (var name in stale)
    {
        Console.Error.WriteLine($"out of date: {name}");
    }

    Console.WriteLine(stale.Count == 0 ? $"{files.Count} generated files are up to date." : "Run the generator and commit the result.");
    return stale.Count == 0 ? 0 : 1;
}

Directory.CreateDirectory(outDir);
foreach (var (name, content) in files)
{
    var path = Path.Combine(outDir, name);
    if (!File.Exists(path) || File.ReadAllText(path) != content)
    {
        File.WriteAllText(path, content);
    }
}

// Files of specs that were removed would otherwise linger and still compile.
foreach (var (name, path) in existing.Where(e => !files.ContainsKey(e.Key)))
{
    File.Delete(path);
}

Console.WriteLine($"Generated {files.Count} files into {outDir}");
return 0;
