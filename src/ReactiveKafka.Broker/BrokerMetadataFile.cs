namespace ReactiveKafka.Broker;

/// <summary>
/// <c>meta.properties</c> in the data directory, as Kafka keeps it: the cluster id (generated once, so
/// clients see the same cluster across restarts) and the node id the data was written by.
/// </summary>
/// <remarks>Format: Java properties lines, <c>cluster.id=...</c> and <c>node.id=...</c>. Written atomically (temp file + rename).</remarks>
internal static class BrokerMetadataFile
{
    private const string FileName = "meta.properties";

    /// <summary>Reads the cluster id, writing a new one (or <paramref name="configured"/>) on first start.</summary>
    public static string LoadOrCreateClusterId(string dataDirectory, string? configured, int nodeId)
    {
        var path = Path.Combine(dataDirectory, FileName);
        string? stored = null;
        if (File.Exists(path))
        {
            foreach (var line in File.ReadAllLines(path))
            {
                if (line.StartsWith("cluster.id=", StringComparison.Ordinal))
                {
                    stored = line["cluster.id=".Length..].Trim();
                }
            }
        }

        if (stored is not null && (configured is null || configured == stored))
        {
            return stored;
        }

        if (stored is not null)
        {
            throw new ArgumentException(
                $"BrokerOptions.ClusterId '{configured}' does not match the cluster id '{stored}' stored in {path}.", nameof(BrokerOptions.ClusterId));
        }

        // Kafka's cluster ids are 22-character URL-safe base64 encodings of a UUID.
        var clusterId = configured ?? Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var temp = path + ".tmp";
        File.WriteAllText(temp, $"version=1\ncluster.id={clusterId}\nnode.id={nodeId}\n");
        File.Move(temp, path, overwrite: true);
        return clusterId;
    }
}
