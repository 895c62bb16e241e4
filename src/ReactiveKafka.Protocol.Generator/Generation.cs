using System.Text.Json;

namespace ReactiveKafka.Protocol.Generator;

/// <summary>Turns a spec directory into the full set of generated files, in memory.</summary>
internal static class Generation
{
    public const string ApiKeysFile = "ApiKeys.json";

    /// <summary>Returns file name → content for every file the spec directory produces.</summary>
    public static SortedDictionary<string, string> Run(string specDir)
    {
        var specs = Directory.GetFiles(specDir, "*.json")
            .Where(p => Path.GetFileName(p) != ApiKeysFile)
            .Order(StringComparer.Ordinal)
            .Select(SpecLoader.LoadFile)
            .ToList();
        var keys = LoadApiKeys(Path.Combine(specDir, ApiKeysFile));
        Validate(specs, keys);

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            files.Add($"{spec.Name}.g.cs", CodeEmitter.Emit(spec));
        }

        files.Add("ApiKey.g.cs", ApiTablesEmitter.EmitApiKeyEnum(keys));
        files.Add("ApiMessages.g.cs", ApiTablesEmitter.EmitApiMessages(keys, specs));
        return files;
    }

    /// <summary>The generated specs must agree with ApiKeys.json, and each request must have its response.</summary>
    private static void Validate(List<MessageSpec> specs, List<ApiKeyEntry> keys)
    {
        var byKey = keys.ToDictionary(k => k.Key);
        foreach (var spec in specs.Where(s => s.IsApiMessage))
        {
            var name = ApiTablesEmitter.ApiName(spec.Name);
            if (spec.ApiKey is not { } key || !byKey.TryGetValue(key, out var entry) || entry.Name != name)
            {
                throw new InvalidDataException($"{spec.Name}: API key {spec.ApiKey} does not match {ApiKeysFile}.");
            }

            var partner = spec.Type == "request" ? name + "Response" : name + "Request";
            var other = specs.FirstOrDefault(s => s.Name == partner)
                ?? throw new InvalidDataException($"{spec.Name} has no {partner}.");
            if (other.ValidVersions != spec.ValidVersions)
            {
                throw new InvalidDataException($"{spec.Name} and {partner} disagree on valid versions.");
            }
        }
    }

    public static List<ApiKeyEntry> LoadApiKeys(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), SpecLoader.Options);
        return document.RootElement.EnumerateArray()
            .Select(e => new ApiKeyEntry(
                e.GetProperty("name").GetString()!,
                e.GetProperty("apiKey").GetInt16(),
                e.GetProperty("validVersions").GetString()!,
                e.GetProperty("flexibleVersions").GetString()!))
            .OrderBy(e => e.Key)
            .ToList();
    }

    /// <summary>
    /// Builds ApiKeys.json from a full Kafka <c>message</c> directory: the name, key and versions of
    /// every request spec, so the ApiKey enum can name APIs whose codecs are not generated.
    /// </summary>
    public static string ExtractApiKeys(string kafkaMessageDir)
    {
        var entries = Directory.GetFiles(kafkaMessageDir, "*Request.json")
            .Select(SpecLoader.LoadFile)
            .Where(s => s.Type == "request" && s.ApiKey is not null)
            .OrderBy(s => s.ApiKey)
            .Select(s => new
            {
                name = ApiTablesEmitter.ApiName(s.Name),
                apiKey = s.ApiKey!.Value,
                validVersions = s.ValidVersions.ToString(),
                flexibleVersions = s.FlexibleVersions.ToString(),
            });
        var header = "// Extracted from Apache Kafka's clients/src/main/resources/common/message/*Request.json\n"
            + "// (Apache License 2.0, see LICENSE and NOTICE) by ReactiveKafka.Protocol.Generator --update-api-keys.\n";
        return header + JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n") + "\n";
    }
}
