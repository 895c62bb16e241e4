using System.Text.Json;

namespace ReactiveKafka.Benchmarks.Core;

/// <summary>What a producer's librdkafka statistics say about its produce requests (STATISTICS.md: txmsgs, brokers.*.req, rtt).</summary>
/// <param name="RecordsPerRequest">Records sent per Produce request.</param>
/// <param name="RttMs">The mean round-trip time of the broker's requests, in milliseconds.</param>
public sealed record ProduceStatistics(double RecordsPerRequest, double RttMs)
{
    /// <summary>Reads the last statistics JSON; null when there is none or it names no Produce request.</summary>
    public static ProduceStatistics? Read(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var messages = root.GetProperty("txmsgs").GetDouble();
        double requests = 0;
        double rtt = 0;
        foreach (var broker in root.GetProperty("brokers").EnumerateObject())
        {
            if (broker.Value.TryGetProperty("req", out var req) && req.TryGetProperty("Produce", out var produce) && produce.GetDouble() > requests)
            {
                // The one broker that took the produce requests (the bootstrap entry and the coordinator take none).
                requests = produce.GetDouble();
                rtt = broker.Value.GetProperty("rtt").GetProperty("avg").GetDouble() / 1000.0;
            }
        }

        return requests > 0 ? new ProduceStatistics(messages / requests, rtt) : null;
    }
}
