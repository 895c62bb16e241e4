using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using ReactiveKafka.Broker.Storage;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// The users' SCRAM credentials (salt, stored key, server key, iterations per user and mechanism), kept in
/// <c>scram-credentials.json</c> in the data directory and replaced atomically on every change. Thread-safe.
/// </summary>
internal sealed class ScramCredentialStore
{
    private const string FileName = "scram-credentials.json";

    private readonly string _path;
    private readonly object _writeGate = new();
    private readonly ConcurrentDictionary<(string User, byte Type), ScramCredential> _credentials = new();

    private ScramCredentialStore(string path) => _path = path;

    /// <summary>Loads the store of <paramref name="dataDirectory"/> (empty when there is none yet).</summary>
    public static ScramCredentialStore Open(string dataDirectory)
    {
        var store = new ScramCredentialStore(Path.Combine(dataDirectory, FileName));
        if (File.Exists(store._path))
        {
            var entries = JsonSerializer.Deserialize<List<Entry>>(File.ReadAllBytes(store._path)) ?? [];
            foreach (var entry in entries)
            {
                if (ScramMechanism.ByType(entry.Mechanism) is { } mechanism)
                {
                    store._credentials[(entry.User, mechanism.Type)] = new ScramCredential(
                        mechanism, Convert.FromBase64String(entry.Salt), Convert.FromBase64String(entry.StoredKey), Convert.FromBase64String(entry.ServerKey), entry.Iterations);
                }
            }
        }

        return store;
    }

    /// <summary>The credential of <paramref name="user"/> for <paramref name="mechanism"/>, or null.</summary>
    public ScramCredential? Find(string user, ScramMechanism mechanism) => _credentials.GetValueOrDefault((user, mechanism.Type));

    /// <summary>Every user's credentials, by user.</summary>
    public IReadOnlyDictionary<string, List<ScramCredential>> ByUser() => _credentials
        .GroupBy(c => c.Key.User, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(c => c.Value).OrderBy(c => c.Mechanism.Type).ToList(), StringComparer.Ordinal);

    /// <summary>Applies deletions and upserts as one change and persists it.</summary>
    public void Apply(IEnumerable<(string User, ScramMechanism Mechanism)> deletions, IEnumerable<(string User, ScramCredential Credential)> upserts)
    {
        lock (_writeGate)
        {
            foreach (var (user, mechanism) in deletions)
            {
                _credentials.TryRemove((user, mechanism.Type), out _);
            }

            foreach (var (user, credential) in upserts)
            {
                _credentials[(user, credential.Mechanism.Type)] = credential;
            }

            Persist();
        }
    }

    private void Persist()
    {
        var entries = _credentials.OrderBy(c => c.Key.User, StringComparer.Ordinal).ThenBy(c => c.Key.Type).Select(c => new Entry
        {
            User = c.Key.User,
            Mechanism = c.Key.Type,
            Salt = Convert.ToBase64String(c.Value.Salt),
            StoredKey = Convert.ToBase64String(c.Value.StoredKey),
            ServerKey = Convert.ToBase64String(c.Value.ServerKey),
            Iterations = c.Value.Iterations,
        }).ToList();
        DurableFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(entries, new JsonSerializerOptions { WriteIndented = true }));
    }

    private sealed class Entry
    {
        [JsonPropertyName("user")]
        public string User { get; set; } = "";

        [JsonPropertyName("mechanism")]
        public byte Mechanism { get; set; }

        [JsonPropertyName("salt")]
        public string Salt { get; set; } = "";

        [JsonPropertyName("storedKey")]
        public string StoredKey { get; set; } = "";

        [JsonPropertyName("serverKey")]
        public string ServerKey { get; set; } = "";

        [JsonPropertyName("iterations")]
        public int Iterations { get; set; }
    }
}
