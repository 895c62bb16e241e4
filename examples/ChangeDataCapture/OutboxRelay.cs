using System.Globalization;
using System.Reactive.Linq;
using System.Text.Json.Nodes;
using ReactiveKafka;

namespace ChangeDataCapture;

/// <summary>
/// Moves outbox rows to the topic as Debezium-style envelopes (<c>before</c>, <c>after</c>, <c>op</c>, <c>source</c>,
/// <c>ts_ms</c>), keyed by the primary key (<c>{"id":n}</c>, so all changes of a row share a partition and stay in
/// order), with a tombstone after each delete as Debezium writes one for compaction. Rows are deleted from the outbox
/// only after the broker acknowledged every record sent for them: a relay that crashes in between sends them again
/// (the consumer skips what it has applied).
/// </summary>
public sealed class OutboxRelay(SourceDatabase source, KafkaSender<string, string?> sender, string topic)
{
    /// <summary>Publishes up to <paramref name="limit"/> pending rows; with <paramref name="crashBeforeDelete"/> it stops before deleting them (a crash).</summary>
    /// <returns>How many rows were published.</returns>
    public async Task<int> PublishAsync(int limit = int.MaxValue, bool crashBeforeDelete = false, CancellationToken cancellationToken = default)
    {
        var rows = new List<(long Seq, string Op, long Id, string? Before, string? After, long TsMs)>();
        using (var command = source.Connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, op, id, before, after, ts_ms FROM cdc_outbox ORDER BY seq LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        var records = new List<SenderRecord<string, string?, long>>();
        foreach (var row in rows)
        {
            var key = new JsonObject { ["id"] = row.Id }.ToJsonString();
            var envelope = new JsonObject
            {
                ["before"] = row.Before is null ? null : JsonNode.Parse(row.Before),
                ["after"] = row.After is null ? null : JsonNode.Parse(row.After),
                ["source"] = new JsonObject
                {
                    ["connector"] = "sqlite-outbox",
                    ["db"] = Path.GetFileName(source.Path),
                    ["table"] = "customers",
                    ["seq"] = row.Seq,
                    ["ts_ms"] = row.TsMs,
                },
                ["op"] = row.Op,
                ["ts_ms"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            records.Add(new SenderRecord<string, string?, long>(topic, key, envelope.ToJsonString(), row.Seq));
            if (row.Op == "d")
            {
                records.Add(new SenderRecord<string, string?, long>(topic, key, null, row.Seq));
            }
        }

        // StopOnError (the default): any failed record fails the whole publish, and no outbox row is deleted.
        await sender.Send(records.ToObservable()).LastAsync().RunAsync(cancellationToken);
        if (crashBeforeDelete)
        {
            return rows.Count;
        }

        using (var delete = source.Connection.CreateCommand())
        {
            delete.CommandText = "DELETE FROM cdc_outbox WHERE seq <= $seq";
            delete.Parameters.AddWithValue("$seq", rows[^1].Seq.ToString(CultureInfo.InvariantCulture));
            delete.ExecuteNonQuery();
        }

        return rows.Count;
    }
}
