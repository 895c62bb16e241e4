using System.Text.Json;
using ReactiveKafka.Broker.Storage;

namespace ReactiveKafka.Broker.Security.Acls;

/// <summary>
/// The ACLs, kept in <c>acls.json</c> in the data directory and replaced atomically on every change (a restart finds
/// them all). Reads take a snapshot without locking; changes are serialized. Thread-safe.
/// </summary>
internal sealed class AclStore
{
    private const string FileName = "acls.json";

    private readonly string _path;
    private readonly object _writeGate = new();
    private volatile IReadOnlyList<AclBinding> _acls;

    private AclStore(string path, IReadOnlyList<AclBinding> acls)
    {
        _path = path;
        _acls = acls;
    }

    /// <summary>Every ACL, as of now.</summary>
    public IReadOnlyList<AclBinding> All => _acls;

    /// <summary>Loads the ACLs of <paramref name="dataDirectory"/>.</summary>
    public static AclStore Open(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var acls = File.Exists(path) ? JsonSerializer.Deserialize<List<AclBinding>>(File.ReadAllBytes(path)) ?? [] : [];
        return new AclStore(path, acls);
    }

    /// <summary>Adds the ACLs not present yet (an ACL added twice is stored once, as Kafka) and persists them.</summary>
    public void Add(IReadOnlyCollection<AclBinding> added)
    {
        lock (_writeGate)
        {
            var next = _acls.Concat(added).Distinct().ToList();
            Persist(next);
            _acls = next;
        }
    }

    /// <summary>Removes every ACL matching any of <paramref name="filters"/>; returns those removed per filter.</summary>
    public List<List<AclBinding>> Remove(IReadOnlyList<AclFilter> filters)
    {
        lock (_writeGate)
        {
            var current = _acls;
            var removed = filters.Select(f => current.Where(f.Matches).ToList()).ToList();
            var gone = removed.SelectMany(r => r).ToHashSet();
            if (gone.Count > 0)
            {
                var next = current.Where(a => !gone.Contains(a)).ToList();
                Persist(next);
                _acls = next;
            }

            return removed;
        }
    }

    private void Persist(List<AclBinding> acls) =>
        DurableFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(acls, new JsonSerializerOptions { WriteIndented = true }));
}
