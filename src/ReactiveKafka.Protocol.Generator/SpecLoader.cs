using System.Text.Json;

namespace ReactiveKafka.Protocol.Generator;

/// <summary>Parses Kafka's JSON message specifications, which carry <c>//</c> comments.</summary>
internal static class SpecLoader
{
    public static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static MessageSpec LoadFile(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    public static MessageSpec Parse(string json, string source)
    {
        using var document = JsonDocument.Parse(json, Options);
        var root = document.RootElement;
        var name = RequiredString(root, "name", source);
        var type = RequiredString(root, "type", source);
        short? apiKey = root.TryGetProperty("apiKey", out var key) ? (short)Number(key) : null;
        var validVersions = VersionRange.Parse(RequiredString(root, "validVersions", source));
        var flexibleVersions = VersionRange.Parse(OptionalString(root, "flexibleVersions") ?? "none");
        var fields = ParseFields(root, $"{source}:{name}") ?? [];
        var common = new List<StructSpec>();
        if (root.TryGetProperty("commonStructs", out var structs))
        {
            foreach (var element in structs.EnumerateArray())
            {
                var structName = RequiredString(element, "name", source);
                common.Add(new StructSpec(
                    structName,
                    VersionRange.Parse(OptionalString(element, "versions") ?? "0+"),
                    ParseFields(element, $"{source}:{structName}") ?? []));
            }
        }

        return new MessageSpec(name, type, apiKey, validVersions, flexibleVersions, fields, common);
    }

    private static List<FieldSpec>? ParseFields(JsonElement owner, string where)
    {
        if (!owner.TryGetProperty("fields", out var array))
        {
            return null;
        }

        var fields = new List<FieldSpec>();
        foreach (var element in array.EnumerateArray())
        {
            // A few specs spell a field in camelCase (CreateTopicsRequest's timeoutMs, validateOnly);
            // C# properties are PascalCase.
            var name = RequiredString(element, "name", where);
            name = char.ToUpperInvariant(name[0]) + name[1..];
            var flexible = OptionalString(element, "flexibleVersions");
            fields.Add(new FieldSpec(
                name,
                RequiredString(element, "type", where).Trim(),
                VersionRange.Parse(RequiredString(element, "versions", $"{where}.{name}")),
                VersionRange.Parse(OptionalString(element, "nullableVersions")),
                VersionRange.Parse(OptionalString(element, "taggedVersions")),
                element.TryGetProperty("tag", out var tag) ? Number(tag) : null,
                flexible is null ? null : VersionRange.Parse(flexible),
                element.TryGetProperty("default", out var def) ? DefaultText(def) : null,
                OptionalString(element, "about"),
                ParseFields(element, $"{where}.{name}")));
        }

        return fields;
    }

    // A few specs quote their numbers ("tag": "0").
    private static int Number(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? int.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : element.GetInt32();

    // Defaults are usually strings ("-1", "null"), but a bare JSON literal is accepted too.
    private static string DefaultText(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();

    private static string RequiredString(JsonElement element, string property, string where) =>
        OptionalString(element, property) ?? throw new InvalidDataException($"{where}: missing \"{property}\".");

    private static string? OptionalString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.GetString() : null;
}
