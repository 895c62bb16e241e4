using System.Text.Json;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Reads and writes one topic's metadata file, <c>&lt;data&gt;/__topics/&lt;name&gt;.json</c>:
/// <c>{"version":1,"name":…,"topicId":"&lt;guid&gt;","partitions":N,"configs":{"key":"value",…}}</c>
/// with only the explicitly set configs. Written atomically (temp file, fsync, rename, directory
/// fsync). Stateless; the <see cref="TopicStore"/> admin lock serializes writers.
/// </summary>
internal static class TopicMetadataFile
{
    /// <summary>The stored fields of a topic.</summary>
    public readonly record struct Content(string Name, Guid TopicId, int PartitionCount, IReadOnlyDictionary<string, string> Configs);

    /// <summary>Atomically writes <paramref name="content"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, Content content)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteString("name", content.Name);
            json.WriteString("topicId", content.TopicId.ToString("D"));
            json.WriteNumber("partitions", content.PartitionCount);
            json.WriteStartObject("configs");
            foreach (var (key, value) in content.Configs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        DurableFile.WriteAllBytes(path, stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    /// <summary>Reads a metadata file; null (with the reason) when it is unreadable or malformed.</summary>
    public static Content? Read(string path, out string? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var configs = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("configs", out var configElement))
            {
                foreach (var property in configElement.EnumerateObject())
                {
                    configs[property.Name] = property.Value.GetString() ?? string.Empty;
                }
            }

            var content = new Content(
                root.GetProperty("name").GetString() ?? string.Empty,
                Guid.Parse(root.GetProperty("topicId").GetString() ?? string.Empty),
                root.GetProperty("partitions").GetInt32(),
                configs);
            if (content.PartitionCount <= 0 || TopicNames.Validate(content.Name) is not null)
            {
                problem = "invalid name or partition count";
                return null;
            }

            return content;
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            problem = e.Message;
            return null;
        }
    }
}
