using System.Reactive.Linq;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Data.Sqlite;
using ReactiveKafka;

namespace ChangeDataCapture;

/// <summary>
/// Applies the change envelopes to a second SQLite database, in topic order, idempotently: each row remembers the
/// source sequence number of the last change applied to it (<c>cdc_applied</c>), written in the same transaction as
/// the change, so an envelope read again (a relay that sent it twice, or a consumer restarted before its
/// acknowledgement was committed) is recognised and skipped. The record is acknowledged after the transaction commits.
/// </summary>
public sealed class ReplicaApplier : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly HashSet<long> _appliedSeqs = [];

    public ReplicaApplier(string path)
    {
        _connection = SourceDatabase.Open(path);
        using var command = _connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cdc_applied (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
            """;
        command.ExecuteNonQuery();
    }

    public int Applied { get; private set; }

    public int Skipped { get; private set; }

    public int Tombstones { get; private set; }

    /// <summary>Source sequence numbers applied more than once (must stay zero).</summary>
    public int AppliedTwice { get; private set; }

    public SqliteConnection Connection => _connection;

    /// <summary>Consumes the topic, applying each envelope, until the subscription is disposed.</summary>
    public IDisposable Start(string bootstrapServers, string topic, string group, Action<Exception> onError) =>
        KafkaReceiver.Create(new ReceiverOptions<string, string?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        })
        { Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(200) })
            .Receive()
            .Do(Apply)
            .Subscribe(_ => { }, onError);

    public void Dispose() => _connection.Dispose();

    private void Apply(ReceiverRecord<string, string?> record)
    {
        if (record.Value is null)
        {
            // The tombstone after a delete: only for compaction; the delete itself was applied from its envelope.
            Tombstones++;
            record.Offset.Acknowledge();
            return;
        }

        var envelope = JsonNode.Parse(record.Value)!;
        var op = (string)envelope["op"]!;
        var seq = (long)envelope["source"]!["seq"]!;
        var id = (long)JsonNode.Parse(record.Key)!["id"]!;
        lock (_connection)
        {
            using var transaction = _connection.BeginTransaction();
            if (Scalar(transaction, "SELECT seq FROM cdc_applied WHERE id = $id", ("$id", id)) is long applied && applied >= seq)
            {
                Skipped++;
            }
            else
            {
                if (op == "d")
                {
                    Execute(transaction, "DELETE FROM customers WHERE id = $id", ("$id", id));
                }
                else
                {
                    var after = envelope["after"]!;
                    Execute(transaction, "INSERT INTO customers (id, name, email) VALUES ($id, $name, $email) ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email",
                        ("$id", id), ("$name", (string)after["name"]!), ("$email", (string)after["email"]!));
                }

                Execute(transaction, "INSERT INTO cdc_applied (id, seq) VALUES ($id, $seq) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq", ("$id", id), ("$seq", seq));
                transaction.Commit();
                Applied++;
                if (!_appliedSeqs.Add(seq))
                {
                    AppliedTwice++;
                }
            }
        }

        record.Offset.Acknowledge();
    }

    private void Execute(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private object? Scalar(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
